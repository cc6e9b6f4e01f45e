# Round 16 continued: 400 more motion_entropy steps at a lower learning rate, resumed from the 600 steps of
# configs/train/small_motion_learned_context_round16.py (`--resume` on a copy of its last.pth).
_base_ = ["small_motion_learned_context_round16.py"]
stages = [
    dict(stage="motion_entropy", steps=400, lr=5e-4, relative_rate=True),
    dict(stage="motion_entropy", steps=200, lr=2e-4, relative_rate=True),
    dict(stage="motion_entropy", steps=400, lr=1e-4, relative_rate=True),
]
