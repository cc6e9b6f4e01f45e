# Round 18 of `small`. Round 17 scaled every motion channel's quantization step by 0.75 (calibrated on coded
# streams, no training), but the motion latent's entropy model was fitted to the old, coarser steps' symbols: it is
# fitted again to the finer ones, on the motion rate alone with relative_rate as in round 16. The steps (rate
# scales) are not entropy-model parameters and stay as calibrated.
codec = "small"
init_from = "checkpoints/small.pth"  # round 17 (id 808c64e09f648a56)
aux_lr = 1e-2
data = dict(height=256, width=256, seed=2171)
batch_size = 8
stages = [
    dict(stage="motion_entropy", steps=200, lr=2e-4, relative_rate=True),
]
log_interval = 20
checkpoint_interval = 100
