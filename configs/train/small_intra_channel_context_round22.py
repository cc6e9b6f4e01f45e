# Round 22 of `small`: the I-frame latent's 64 channels coded in four groups of 16, each group's means and scales
# predicted from the groups before it at the same position (codec option intra_channel_groups,
# vnvc.models.latent_coding.ChannelContext), inside each of the two checkerboard passes. At intra period 8 the
# I-frame carries 40-70 % of a held-out stream's bits. The grown context starts as no correction; this stage fits
# it, with the rest of the I-frame latent's entropy model, on the I-frame rate alone (the encoder stays as it is).
_base_ = ["small_intra_checkerboard_round15.py"]
init_from = "checkpoints/small.pth"  # round 20 (id 16998e512dcbed7a)
data = dict(seed=2203)
stages = [
    dict(stage="intra_entropy", steps=1000, lr=5e-4),
    dict(stage="intra_entropy", steps=1000, lr=2e-4),
]
