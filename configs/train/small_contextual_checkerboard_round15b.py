# Round 15, second part continued: 600 more contextual_entropy steps at a lower learning rate, resumed from the
# 600 of configs/train/small_contextual_checkerboard_round15.py (`--resume` on a copy of its last.pth). Its loss was
# still falling, and on the bundled clip the context cost y bits at rate 0.
_base_ = ["small_contextual_checkerboard_round15.py"]
stages = [
    dict(stage="contextual_entropy", steps=600, lr=5e-4),
    dict(stage="contextual_entropy", steps=600, lr=2e-4),
]
