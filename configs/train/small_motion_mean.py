# Round 6 of the shipped `small` model: round 5 with a mean path in the motion latent's hyperprior.
# Round 5's motion latent is a nearly constant field of camera motion (about 8 quantization steps at the lowest
# rate), but its hyperprior predicted means near 0 with scales near 9: 4.9 bits a symbol. The learned hyper
# transforms never learned means, even when refitted alone; a linear path that carries y's 4x4 block means in
# the hyper-latent does it from the start (vnvc/models/latent_coding.py, docs/ARCHITECTURE.md).
codec = "small"  # with motion_mean_channels=2
# init_from: round 5 as shipped, from git:
#   git show 4a2ccd2:checkpoints/small.pth > runs/small_round5.pth
init_from = "runs/small_round5.pth"
grow = ["inter.motion.latent"]  # the mean path and its two hyper-latent channels start fresh
aux_lr = 1e-2
data = dict(height=256, width=256, frames=3, seed=2031)
batch_size = 1
stages = [
    # the grown entropy model fitted to the frozen motion encoder's latents, then everything adapts to it
    dict(stage="motion_entropy", steps=1000, lr=1e-3, batch_size=4),
    dict(stage="inter_motion", steps=300, lr=1e-4, batch_size=2),
    dict(stage="cascade", steps=450, lr=1e-4, frames=3),
    # the factorized densities of the hyper-latents fitted at a high learning rate at the end
    dict(stage="cascade", steps=100, lr=2e-5, frames=3, entropy_lr=1e-2),
]
log_interval = 10
checkpoint_interval = 50
