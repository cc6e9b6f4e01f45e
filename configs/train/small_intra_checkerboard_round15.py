# Round 15 of `small`: the I-frame latent coded in two checkerboard passes (codec option intra_checkerboard,
# vnvc.models.latent_coding.LearnedCheckerboardContext). At intra period 8 the I-frame is about half of a held-out
# stream's bits at rate 0, and it is coded by the hyperprior alone. The grown context starts as no correction;
# this stage fits it, with the rest of the I-frame latent's entropy model, on the I-frame rate alone: the encoder
# stays as it is, and the decoded latent moves by less than a quantization step (means only).
codec = "small"
init_from = "checkpoints/small.pth"  # round 13 (id 7a1a6cb4357de63b)
grow = ["intra.latent"]
aux_lr = 1e-2
data = dict(height=256, width=256, frames=2, seed=2057)
batch_size = 8
stages = [
    dict(stage="intra_entropy", steps=1500, lr=5e-4),
    dict(stage="intra_entropy", steps=1500, lr=2e-4),
]
log_interval = 20
checkpoint_interval = 100
