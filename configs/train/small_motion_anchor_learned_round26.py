# Round 26's try on `small` (measured and not kept: the odd anchors it was for cost 5 % more bits on the held-out
# P-frames, not fewer; BD-rate against round 25 in half precision -0.7 % on the four held-out clips and -0.5 % on
# eight more, within what re-rounding the weights moves; docs/ARCHITECTURE.md): a learned part on the odd motion
# anchors' diagonal context (codec option motion_anchor_learned, a LearnedCheckerboardContext inside
# vnvc.models.latent_coding.DiagonalAnchorContext), as round 16 gave the second checkerboard half. On round 25's
# held-out P-frames the odd anchors, predicted linearly from their four diagonal neighbours, cost about 20 % more
# than the second half, which has such a learned part. The part starts at zero; the motion entropy model is fitted
# as a whole on the motion rate, as in rounds 18, 20, 24 and 25.
_base_ = ["small_motion_entropy_round18.py"]
codec = "configs/codec/small_round26.py"
init_from = "checkpoints/small.pth"  # round 25 (id 64e3b6a8b16c31cd, before it was stored in half precision)
grow = ["inter.motion.latent.anchor_context.learned"]
data = dict(seed=2261)
stages = [
    dict(stage="motion_entropy", steps=150, lr=5e-4, relative_rate=True),
    dict(stage="motion_entropy", steps=150, lr=2e-4, relative_rate=True),
]
