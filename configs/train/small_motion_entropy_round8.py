# Round 8 of the shipped `small` model, last step: the motion latent's entropy model refitted after the flow-step
# calibration. Round 8 is round 7 with 6,000 more I-frame steps (small_intra_round8.py), then calibrated steps
# (`python -m vnvc.train.step_calibration --groups flow`, then `--groups intra`), which made the flow channels'
# quantization steps coarser: their symbols spread less, but the hyperprior still predicts the old spread, in
# units of the old steps. The `motion_entropy` stage refits only that entropy model, by rate alone.
codec = "small"
# init_from: the calibrated checkpoint (python -m vnvc.train.step_calibration ... --out runs/small_round8_calibrated.pth)
init_from = "runs/small_round8_calibrated.pth"
aux_lr = 1e-2
data = dict(height=256, width=256, frames=2, seed=2043)
batch_size = 4
stages = [
    dict(stage="motion_entropy", steps=400, lr=1e-3),
    # the factorized density of the hyper-latent fitted at a high learning rate at the end
    dict(stage="motion_entropy", steps=100, lr=1e-4, entropy_lr=1e-2),
]
log_interval = 10
checkpoint_interval = 100
