# Round 9 of the shipped `small` model: round 8 with 5,000 more I-frame steps at 256x256 on fresh clips, with
# round 8's settings (small_intra_round8.py) and a shorter schedule.
# Round 8's 6,000 intra steps gained about 1 dB on the held-out I-frames (0.170 bpp at 29.17 dB at rate 0), and
# the sequences followed them (+0.46 to +0.67 dB at 2-5 % fewer bits), but x265's intra frames (QP 42: 0.163 bpp
# at 29.82 dB) still lead, so the I-frame codec goes on. The inter networks are left as they are.
_base_ = ["small_intra_round8.py"]
# init_from: round 8 as shipped, from git:
#   git show 36c7f23:checkpoints/small.pth > runs/small_round8.pth
init_from = "runs/small_round8.pth"
data = dict(height=256, width=256, frames=3, seed=2044)
stages = [
    dict(stage="intra", steps=4200, lr=1e-4),
    # lower learning rate at the end, the factorized density of the hyper-latent fitted at a high one
    dict(stage="intra", steps=800, lr=2e-5, entropy_lr=1e-2),
]
