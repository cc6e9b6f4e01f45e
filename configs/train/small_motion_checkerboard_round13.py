# Round 13 of `small`: the motion latent coded in two checkerboard passes (codec option motion_checkerboard,
# vnvc.models.latent_coding.CheckerboardContext). Round 12's motion costs 0.007-0.012 bpp a P-frame whatever the
# rate, about x265's whole P-frame on the held-out clips, and nearly all of it sits in the two flow channels.
# Grown in untrained, the context (each second-pass position predicted from its four decoded anchor neighbours)
# saves 15-16 % of the motion's bits on the held-out clips. This stage fits it, scales included, with the rest of the motion entropy model, on
# the motion rate alone: the decoded flow moves by less than a quantization step (means only).
codec = "small"
init_from = "checkpoints/small.pth"  # round 12 (id b639e2099ce0995e)
grow = ["inter.motion.latent"]
aux_lr = 1e-2
data = dict(height=256, width=256, seed=2054)
batch_size = 4
stages = [
    dict(stage="motion_entropy", steps=400, lr=5e-4),
]
log_interval = 20
checkpoint_interval = 100
