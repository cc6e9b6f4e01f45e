# Round 7 of the shipped `small` model: round 6 with more I-frame training.
# I-frames are about 40 % of the bits at intra period 8, and the I-frame codec trails x265's intra frames by
# about 2.5 dB at equal bits on the held-out clips. Its training so far was mostly on 128x128 clips (rounds 1-3)
# plus 300 steps at 256x256 (round 5); an intra step at 256x256 costs about 0.37 s on the 2-core CPU, so a few
# thousand more are cheap. The inter networks are left as they are: they see the I-frame only through the
# adaptor's feature of its decoded pixels, which the intra stage does not train.
codec = "small"
# init_from: round 6 as shipped, from git:
#   git show f668e90:checkpoints/small.pth > runs/small_round6.pth
init_from = "runs/small_round6.pth"
aux_lr = 1e-2
data = dict(height=256, width=256, frames=3, seed=2041)
batch_size = 2
stages = [
    dict(stage="intra", steps=2500, lr=1e-4),
    # the factorized density of the hyper-latent fitted at a high learning rate at the end
    dict(stage="intra", steps=500, lr=2e-5, entropy_lr=1e-2),
]
log_interval = 50
checkpoint_interval = 250
