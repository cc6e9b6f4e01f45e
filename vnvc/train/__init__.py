"""Training of the VNVC codec: stages, losses, the loop, torchrun support."""
