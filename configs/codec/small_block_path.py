# `small` with the contextual decoder's block-synthesis path (vnvc.models.inter.BlockSynthesis): a linear path from
# the contextual latent to F̂t that starts at zero, for reviving the contextual latent.
_base_ = ["small.py"]
model = dict(contextual_block_path=True)
