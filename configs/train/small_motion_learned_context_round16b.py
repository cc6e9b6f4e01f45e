# Round 16 continued (not shipped): round 15's two learned contexts refitted with relative_rate, resumed from the
# 600 steps of configs/train/small_motion_learned_context_round16.py (`--resume` in its work dir). Round 15 fitted
# them on the mean bits, and y's context costs bits at rate 0 on the bundled clip.
_base_ = ["small_motion_learned_context_round16.py"]
stages = [
    dict(stage="motion_entropy", steps=400, lr=5e-4, relative_rate=True),
    dict(stage="motion_entropy", steps=200, lr=2e-4, relative_rate=True),
    dict(stage="contextual_entropy", steps=400, lr=2e-4, batch_size=4, relative_rate=True),
    dict(stage="intra_entropy", steps=1000, lr=2e-4, relative_rate=True),
]
