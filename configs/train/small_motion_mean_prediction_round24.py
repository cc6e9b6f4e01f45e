# Round 24 of `small`: the motion hyper-latent's two mean-path channels (4x4 block averages of the motion latent,
# the camera motion's coarse field) coded as differences from their left neighbours (codec option
# motion_mean_prediction, vnvc.models.latent_coding.left_prediction). On round 22 the factorized prior spent about
# 3 bits on each of them, 80-90 bits of a P-frame's 90-100 hyper-latent bits, at every rate point. The prediction
# itself changes no decoded value; the prior's density for those channels is fitted to the differences first, with
# every other weight fixed (lr 0; the density's median, z's rounding offset, moves), then the motion entropy model
# as a whole on the motion rate, as in rounds 18 and 20. 34 min on the 2-core CPU.
_base_ = ["small_motion_entropy_round18.py"]
init_from = "checkpoints/small.pth"  # round 22 (id 07c9669159acf6e7)
grow = ["inter.motion.latent.hyper_prior"]  # no new weights: round 22's, read with the option on
data = dict(seed=2241)
stages = [
    dict(stage="motion_entropy", steps=100, lr=0.0, entropy_lr=1e-2, relative_rate=True),
    dict(stage="motion_entropy", steps=200, lr=2e-4, relative_rate=True),
]
