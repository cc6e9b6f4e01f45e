# The published VNVC channel counts (about 15 M parameters for the inter-frame codec):
# F̂t with 64 channels, contextual latent M=96, motion latent 128, motion hyper-latent 64.
model = dict(
    name="paper",
    feature_channels=64,
    latent_channels=96,
    hyper_channels=64,
    motion_channels=128,
    motion_mean_channels=2,
    motion_hyper_channels=64,
    context_channels=64,
    intra_channels=128,
    intra_latent_channels=192,
    recon_channels=64,
    enhancement=True,
    num_rates=4,
    lambdas=[0.0018, 0.0035, 0.0067, 0.0130],
)
