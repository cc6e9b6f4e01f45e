# Round 19 of `small`: a longer cascade. On the held-out clips the P-frames drift down along the GOP (clip 3 at rate 0
# from 28.68 dB on the first P-frame to 26.69 on the seventh while its bits double), but every cascade so far saw
# two P-frames in a row. Five in a row here, on smaller clips to keep a step's cost, every inter network trained
# with round 17's finer motion steps for the first time. Rate weighs 5x, as in the earlier cascades.
codec = "small"
init_from = "checkpoints/small.pth"  # round 18 (id f3abffba14c7c4d8)
aux_lr = 1e-2
data = dict(height=192, width=192, seed=2191)
batch_size = 2
stages = [
    dict(stage="cascade", steps=150, lr=5e-5, frames=6, rate_weight=5.0),
]
log_interval = 10
checkpoint_interval = 25
