# `small` with the contextual latent y coded in two channel groups (round 23's try, not shipped).
_base_ = ["small.py"]
model = dict(contextual_channel_groups=2)
