# Round 19 of `small`, second try. The five-P-frame cascade of small_cascade_round19.py stopped the drift along the
# GOP but made the first P-frame cost 2.6x more (held-out, rate 0), even from the adaptor's feature of the original
# frame 0 (2.7x more): the inter networks learnt a feature the linear adaptor cannot give the first reference. Here
# the adaptor grows a nonlinear refinement (codec option adaptor_refinement, starting at zero) that trains with them.
codec = "small"
init_from = "checkpoints/small.pth"  # round 18 (id f3abffba14c7c4d8)
grow = ["intra.adaptor_refinement"]
aux_lr = 1e-2
data = dict(height=192, width=192, seed=2191)
batch_size = 2
stages = [
    dict(stage="cascade", steps=150, lr=5e-5, frames=6, rate_weight=5.0, intra_feature=True),
]
log_interval = 10
checkpoint_interval = 25
