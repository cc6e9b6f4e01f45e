# Round 11 of the shipped `small` model: 4,000 more I-frame steps on round 10 (the I-frame carries about two thirds
# of a held-out stream's bits at intra period 8: 0.16 of 0.25 bits per pixel per 8 frames at rate 0). Round 9's
# 5,000 steps gave its I-frames 0.13-0.46 dB at 1.5-7 % fewer bits; the inter networks stay as they are.
_base_ = ["small_intra_round9.py"]
init_from = "checkpoints/small.pth"  # round 10 (id 1a5e36eddcb82297)
data = dict(height=256, width=256, frames=3, seed=2050)
stages = [
    dict(stage="intra", steps=3400, lr=1e-4),
    # lower learning rate at the end, the factorized density of the hyper-latent fitted at a high one
    dict(stage="intra", steps=600, lr=2e-5, entropy_lr=1e-2),
]
