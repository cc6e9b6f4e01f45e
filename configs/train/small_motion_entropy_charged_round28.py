# Round 28 try of `small` (measured, not kept; BD-rate against round 27 -0.06 %): the motion latent's entropy
# model refitted (as in rounds 18 and 20) to the latents the motion encoder makes of the charged search's hints
# (`charged_search`: the search charges motion at each clip's rate point, as coding has done since round 27),
# where every fit before saw the bare search's.
_base_ = ["small_motion_entropy_round18.py"]
init_from = "checkpoints/small.pth"  # round 26/27 (id 0e865b9a112110dc)
data = dict(seed=2282)
stages = [
    dict(stage="motion_entropy", steps=200, lr=2e-4, relative_rate=True, charged_search=True),
]
