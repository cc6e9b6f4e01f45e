# Round 12 of `small`, second part: the cascade (two P-frames in a row, every inter network) on top of
# configs/train/small_residual_path_round12.py, whose single-P-frame stages never saw a P-frame's reference decoded
# with the residual path. The rate weighs 5x, as in that config's second stage.
codec = "small"
init_from = "runs/small_residual_path_round12/last.pth"
aux_lr = 1e-2
data = dict(height=256, width=256, seed=2053)
batch_size = 2
stages = [
    dict(stage="cascade", steps=200, lr=5e-5, frames=3, rate_weight=5.0),
]
log_interval = 10
checkpoint_interval = 20
