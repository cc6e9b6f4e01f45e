# Round 20 of `small`. Round 19's cascade trained the motion encoder with every other inter network, and its motion
# bits rose by 1-12 % on the held-out clips while the learned part of the motion's context stopped saving bits on the
# bundled clip (+0.2 % against the linear context alone; round 16 measured -1.3 %). The motion entropy model is
# fitted again to the motion encoder as it now is, on the motion rate alone with relative_rate, as in round 18.
_base_ = ["small_motion_entropy_round18.py"]
init_from = "checkpoints/small.pth"  # round 19 (id e3d55c0ec45edc48)
data = dict(seed=2203)
