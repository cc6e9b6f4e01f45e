# Round 8 of the shipped `small` model: round 7 with 6,000 more I-frame steps at 256x256 on fresh clips.
# Round 7's 3,000 intra steps made I-frames 14-20 % smaller at 0.4-0.8 dB more PSNR on the held-out clips, and
# the I-frame codec still trailed x265's intra frames there, so it was not converged. An intra step costs about
# 0.27 s on the 2-core CPU. The inter networks are left as they are (see small_intra.py).
codec = "small"
# init_from: round 7 as shipped, from git:
#   git show 05c733f:checkpoints/small.pth > runs/small_round7.pth
init_from = "runs/small_round7.pth"
aux_lr = 1e-2
data = dict(height=256, width=256, frames=3, seed=2042)
batch_size = 2
stages = [
    dict(stage="intra", steps=5000, lr=1e-4),
    # lower learning rate at the end, the factorized density of the hyper-latent fitted at a high one
    dict(stage="intra", steps=1000, lr=2e-5, entropy_lr=1e-2),
]
log_interval = 50
checkpoint_interval = 250
