"""Training and evaluation data made here: natural-content clips and labelled synthetic video."""
