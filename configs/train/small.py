# The shipped `small` model's curriculum (the DCVC-TCM stages), sized for a shared 2-core CPU (about an hour).
# It ran once with 60 cascade steps, then resumed (--resume) with the cascade extended to 120.
# Longer runs on a GPU: raise the steps, then `vnvc train configs/train/small.py --resume --device cuda`.
codec = "small"
init_from = None
data = dict(height=128, width=128, frames=4, seed=2026)
batch_size = 4
stages = [
    dict(stage="intra", steps=400, lr=5e-4),
    dict(stage="inter_motion", batch_size=2, steps=80, lr=5e-4),
    dict(stage="inter_reconstruction", batch_size=2, steps=80, lr=5e-4),
    dict(stage="inter_contextual", batch_size=2, steps=80, lr=3e-4),
    dict(stage="inter_all", batch_size=2, steps=160, lr=2e-4),
    dict(stage="cascade", batch_size=2, steps=120, lr=5e-5, frames=4),
]
log_interval = 10
checkpoint_interval = 50
