# The shipped `small` model's curriculum (the DCVC-TCM stages), sized for a 2-core CPU.
# Round 1 (steps 0-920, the six DCVC-TCM stages) ran first; round 2 (a longer pass over the I-frame codec, then every
# inter network and the cascade again) was appended later and continued the same run with --resume.
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
    # round 2
    dict(stage="intra", steps=4000, lr=2e-4),
    dict(stage="inter_all", batch_size=2, steps=400, lr=1e-4),
    dict(stage="cascade", batch_size=2, steps=200, lr=5e-5, frames=4),
]
log_interval = 10
checkpoint_interval = 50
