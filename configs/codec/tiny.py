# Tiny codec for tests: seconds per frame on a CPU core, random init is fine.
model = dict(
    name="tiny",
    feature_channels=8,
    latent_channels=16,
    hyper_channels=16,
    motion_channels=16,
    motion_mean_channels=2,
    motion_hyper_channels=8,
    motion_mean_prediction=True,  # as small from round 24
    context_channels=8,
    intra_channels=16,
    intra_latent_channels=16,
    recon_channels=8,
    enhancement=True,
    motion_checkerboard=True,  # as small from round 13, so that the tests code it everywhere
    motion_learned_context=True,  # as small from round 16
    motion_anchor_split=True,  # as small from round 25
    intra_checkerboard=True,  # as small from round 15
    contextual_checkerboard=True,
    adaptor_refinement=True,  # as small from round 19
    intra_channel_groups=4,  # as small from round 22
    contextual_channel_groups=2,  # not in small: tested here so that it keeps working
    num_rates=4,
    lambdas=[0.0018, 0.0035, 0.0067, 0.0130],
)
