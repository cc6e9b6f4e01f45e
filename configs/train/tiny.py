# Tiny training run for tests: a few steps of every stage on 64x64 clips, on a CPU core.
codec = "tiny"
init_from = None
data = dict(height=64, width=64, frames=3, seed=0)
batch_size = 2
stages = [
    dict(stage="intra", steps=4, lr=1e-3),
    dict(stage="intra_entropy", steps=1, lr=1e-3),
    dict(stage="inter_motion", steps=2, lr=1e-3, flow_weight=1.0),
    dict(stage="motion_entropy", steps=2, lr=1e-3),
    dict(stage="contextual_entropy", steps=1, lr=1e-3),
    dict(stage="inter_reconstruction", steps=2, lr=1e-3),
    dict(stage="inter_contextual", steps=2, lr=1e-3),
    dict(stage="inter_all", steps=2, lr=1e-3),
    dict(stage="cascade", steps=2, lr=1e-4, frames=3, intra_feature=True),
]
log_interval = 1
checkpoint_interval = 1000
