# Round 3 of the shipped `small` model: the inter-frame networks trained afresh over the round-2 I-frame codec.
# Rounds 1-2 (configs/train/small.py) left the P-frame codec collapsed: every motion and contextual symbol was
# zero, so P-frames cost only their hyperprior bits and copied the reference at every rate point. Round 3 keeps
# the I-frame codec and trains the inter codec and the reconstruction network from scratch with what that taught
# us (docs/ARCHITECTURE.md): mixed quantization, quantization steps that start small, the warped-reference skip
# of F̂t, quantiles solved in update(), and a motion warm-up supervised by the clips' exact camera flow.
codec = "small"
# init_from: round 2 as shipped before round 3, from git:
#   git show 2ceb5ee:checkpoints/small.pth > runs/small_round2.pth
init_from = "runs/small_round2.pth"
reinitialize = ["inter", "reconstruction"]
aux_lr = 1e-2
data = dict(height=128, width=128, frames=4, seed=2026)
batch_size = 2
stages = [
    dict(stage="inter_motion", steps=200, lr=5e-4, rate_weight=0.0, flow_weight=1.0),
    dict(stage="inter_motion", steps=200, lr=5e-4, flow_weight=1.0),
    dict(stage="inter_reconstruction", steps=300, lr=5e-4),
    dict(stage="inter_contextual", steps=300, lr=3e-4),
    dict(stage="inter_all", steps=1000, lr=2e-4),
    dict(stage="cascade", steps=400, lr=1e-4, frames=4),
    # then (appended, continued with --resume) the factorized densities of the hyper-latents fitted at a high
    # learning rate: they still charged about 4 bits per z symbol where the symbols' spread needs about 1
    dict(stage="intra", steps=200, lr=1e-5, batch_size=4, entropy_lr=1e-2),
    dict(stage="cascade", steps=200, lr=2e-5, frames=4, entropy_lr=1e-2),
]
log_interval = 10
checkpoint_interval = 50
