# Round 25 of `small`: the motion checkerboard's anchors coded in two passes, those with an even row and column
# first, then the odd ones with means and scales corrected from their four diagonal neighbours (codec option
# motion_anchor_split, vnvc.models.latent_coding.DiagonalAnchorContext). On round 24's held-out P-frames the
# anchors, coded from the hyperprior alone, cost 1.5-1.9x the second checkerboard half (288 against 201 bits a
# P-frame at rate 0), and motion was 57 % of a P-frame's bits there. Grown untrained (the diagonal average as the
# odd anchors' mean prediction) it saved 12-30 bits on those anchors; the motion entropy model is then fitted as a
# whole on the motion rate, as in rounds 18, 20 and 24.
_base_ = ["small_motion_entropy_round18.py"]
init_from = "checkpoints/small.pth"  # round 24 (id 2916853b6c913b47)
grow = ["inter.motion.latent.anchor_context"]
data = dict(seed=2251)
stages = [
    dict(stage="motion_entropy", steps=150, lr=5e-4, relative_rate=True),
    dict(stage="motion_entropy", steps=150, lr=2e-4, relative_rate=True),
]
