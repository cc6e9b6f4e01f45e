# Round 14 of the shipped `small` model: 3,000 more I-frame steps on round 13 (at intra period 8 the I-frame is
# about half of a held-out stream's bits at rate 0; round 11's 4,000 steps gave the I-frames +0.14 to +0.33 dB at
# -1 to +2 % of their bits and the streams +0.12 to +0.23 dB). The inter networks stay as they are.
_base_ = ["small_intra_round11.py"]
init_from = "checkpoints/small.pth"  # round 13 (id 7a1a6cb4357de63b)
data = dict(height=256, width=256, frames=3, seed=2056)
stages = [
    dict(stage="intra", steps=2600, lr=1e-4),
    # lower learning rate at the end, the factorized density of the hyper-latent fitted at a high one
    dict(stage="intra", steps=400, lr=2e-5, entropy_lr=1e-2),
]
