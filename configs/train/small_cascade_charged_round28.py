# Round 28 try of `small` (measured, not kept): round 19's cascade (five P-frames in a row, rate weighed 10x, the
# I-frame adaptor's refinement trained too) on round 27, with the encoder's motion search charging motion at each
# clip's rate point (`charged_search`), as coding has done since round 27; until now every network trained on the
# bare search's hints, so the motion encoder codes the charged hints untrained. BD-rate against round 27 +1.8 %.
_base_ = ["small_cascade_round19c.py"]
init_from = "checkpoints/small.pth"  # round 26/27 (id 0e865b9a112110dc)
grow = []
data = dict(seed=2281)
stages = [
    dict(stage="cascade", steps=150, lr=5e-5, frames=6, rate_weight=10.0, intra_feature=True, charged_search=True),
]
