# Round 16 of `small`: a learned part on the motion latent's linear checkerboard context (codec option
# motion_learned_context, vnvc.models.latent_coding.CheckerboardContext). At rate 0 the motion is the largest part
# of a P-frame on some held-out clips, and the linear context predicts only means; the learned part, started at
# zero, also sees the anchors' magnitudes and the hyperprior's scales. The whole motion entropy model is fitted on
# the motion rate alone, with relative_rate: the mean log of each clip's bits, so the low rate points, where
# BD-rate against x265 is weakest, weigh as much as the high ones.
codec = "small"
init_from = "checkpoints/small.pth"  # round 15 (id ffcc4af58ec95499)
grow = ["inter.motion.latent"]
aux_lr = 1e-2
data = dict(height=256, width=256, seed=2060)
batch_size = 8
stages = [
    dict(stage="motion_entropy", steps=400, lr=5e-4, relative_rate=True),
    dict(stage="motion_entropy", steps=200, lr=2e-4, relative_rate=True),
]
log_interval = 20
checkpoint_interval = 100
