# The shipped default: trains on a CPU at small sizes, each checkpoint file stays under 16 MiB.
model = dict(
    name="small",
    feature_channels=32,
    latent_channels=64,
    hyper_channels=40,
    motion_channels=40,
    motion_mean_channels=2,
    # round 24 on: those two channels of z coded as differences from their left neighbours
    motion_mean_prediction=True,
    motion_hyper_channels=32,
    context_channels=24,
    intra_channels=48,
    intra_latent_channels=64,
    recon_channels=16,
    enhancement=False,
    # round 12 on: y also codes the pixel residual in 16x16 DCT patterns (vnvc.models.inter.ResidualBlockCoding)
    contextual_residual_path=True,
    # round 13 on: the motion latent is coded in two checkerboard passes (vnvc.models.latent_coding)
    motion_checkerboard=True,
    # round 16 on: with a learned part on that linear context
    motion_learned_context=True,
    # round 25 on: its anchors in two passes, the odd ones from their diagonal neighbours (DiagonalAnchorContext)
    motion_anchor_split=True,
    # round 15 on: the I-frame latent and y too, with a learned context (vnvc.models.latent_coding)
    intra_checkerboard=True,
    contextual_checkerboard=True,
    # round 19 on: the I-frame adaptor's nonlinear refinement (vnvc.models.intra.AdaptorRefinement)
    adaptor_refinement=True,
    # round 22 on: the I-frame latent coded in four channel groups (vnvc.models.latent_coding.ChannelContext)
    intra_channel_groups=4,
    num_rates=4,
    lambdas=[0.0018, 0.0035, 0.0067, 0.0130],
)
