# Round 9 of the shipped `small` model, last step: the motion latent's entropy model refitted after round 9's
# flow-step calibration. Round 9 is round 8 with 5,000 more I-frame steps (small_intra_round9.py) and the encoder's
# smoothed motion search (`vnvc.models.motion_estimation.smooth_flow`), whose flow fields are calmer than those the
# motion hyperprior was fitted to; the flow steps were then calibrated again on coded streams
# (`python -m vnvc.train.step_calibration --groups flow`). The `motion_entropy` stage refits only that entropy
# model, by rate alone, on latents of the smoothed search.
codec = "small"
# init_from: the calibrated checkpoint (python -m vnvc.train.step_calibration ... --out runs/small_round9_calibrated.pth)
init_from = "runs/small_round9_calibrated.pth"
aux_lr = 1e-2
data = dict(height=256, width=256, frames=2, seed=2045)
batch_size = 4
stages = [
    dict(stage="motion_entropy", steps=400, lr=1e-3),
    # the factorized density of the hyper-latent fitted at a high learning rate at the end
    dict(stage="motion_entropy", steps=100, lr=1e-4, entropy_lr=1e-2),
]
log_interval = 10
checkpoint_interval = 100
