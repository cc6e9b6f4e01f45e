# The shipped `small` model's curriculum (DCVC-TCM stages). Resume with `vnvc train configs/train/small.py --resume`.
codec = "small"
init_from = None
data = dict(height=128, width=128, frames=4, seed=2026)
batch_size = 8
stages = [
    dict(stage="intra", steps=3000, lr=2e-4),
    dict(stage="inter_motion", steps=500, lr=2e-4),
    dict(stage="inter_reconstruction", steps=500, lr=2e-4),
    dict(stage="inter_contextual", steps=500, lr=2e-4),
    dict(stage="inter_all", steps=1500, lr=1e-4),
    dict(stage="cascade", steps=1000, lr=5e-5, frames=4),
]
log_interval = 20
checkpoint_interval = 100
