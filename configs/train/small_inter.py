# Round 4 of the shipped `small` model: the inter-frame networks trained afresh over round 3's I-frame codec and
# reconstruction network, now that the motion codec starts from the encoder's block-matching hint.
# Round 3 (this file at commit f80915a) left P-frames as learned skips: its motion codec never learned to carry
# motion (docs/ARCHITECTURE.md). Round 4 keeps everything but the inter codec, which starts afresh with the hint
# path (a fresh motion codec codes the block-averaged hint exactly) and is then trained through the curriculum.
codec = "small"
# init_from: round 3 as shipped, from git:
#   git show f80915a:checkpoints/small.pth > runs/small_round3.pth
init_from = "runs/small_round3.pth"
reinitialize = ["inter"]
aux_lr = 1e-2
data = dict(height=128, width=128, frames=4, seed=2027)
batch_size = 2
stages = [
    dict(stage="inter_motion", steps=150, lr=3e-4),
    dict(stage="inter_reconstruction", steps=250, lr=5e-4),
    dict(stage="inter_contextual", steps=250, lr=3e-4),
    dict(stage="inter_all", steps=700, lr=2e-4),
    dict(stage="cascade", steps=400, lr=1e-4, frames=4),
    # the factorized densities of the hyper-latents fitted at a high learning rate at the end (round 3 showed
    # they otherwise charge several times the bits their symbols need)
    dict(stage="cascade", steps=150, lr=2e-5, frames=4, entropy_lr=1e-2),
]
log_interval = 10
checkpoint_interval = 50
