# Round 5 of the shipped `small` model: round 4 fine-tuned on 256x256 clips instead of 128x128.
# Rounds 1-4 trained on 128x128 clips only, where the motion latent is 8x8 and its hyper-latent 2x2: every position
# sees the frame's border. On larger frames the motion entropy model was off: round 4's motion latent cost 0.039 bpp
# on 128x128 clips (close to the symbols' empirical entropy) but 0.12 bpp on 320x192 and 0.17 bpp on 256x256 clips
# (2.3-4x their entropy), whatever the camera speed, because four deep channels sat half a quantization step off
# their predicted means under scales stuck at the coder's minimum (docs/ARCHITECTURE.md).
codec = "small"
# init_from: round 4 as shipped, from git:
#   git show 04ce239:checkpoints/small.pth > runs/small_round4.pth
init_from = "runs/small_round4.pth"
# Round 5 ran before the codec config had motion_mean_channels (round 6); with today's configs/codec/small.py the
# run also needs grow = ["inter.motion.latent"], and its motion latent then gets a fresh mean path.
aux_lr = 1e-2
data = dict(height=256, width=256, frames=3, seed=2030)
batch_size = 1
stages = [
    dict(stage="intra", steps=300, lr=5e-5, batch_size=2),
    dict(stage="inter_motion", steps=300, lr=1e-4, batch_size=2),
    dict(stage="cascade", steps=600, lr=1e-4, frames=3),
    # the factorized densities of the hyper-latents fitted at a high learning rate at the end
    dict(stage="cascade", steps=100, lr=2e-5, frames=3, entropy_lr=1e-2),
]
log_interval = 10
checkpoint_interval = 50
