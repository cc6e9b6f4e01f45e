# Round 10 of the shipped `small` model: the contextual latent revived.
# Through rounds 4-9 the contextual encoder-decoder coded nothing: on 256x256 clips its y has a standard deviation
# of 0.005-0.012 quantization steps around means of about zero, the decoder's output moves by 1e-5 when y is fed
# unrounded, and P-frames are the motion-compensated reference (+0.01-0.07 dB from the decoder), 3.3-4.6 dB below
# an I-frame of the same content. That is a saddle point: the encoder gets no gradient through a decoder that
# ignores y, and the decoder none from a y that does not vary. Two earlier attempts (small_residual.py) started a
# distortion-only stage from that state; y's spread grew but stayed inside the rounding dead zone, and once the
# rate weighed in it collapsed again within 150 steps. Their entropy model got no gradient while the rate weight
# was 0, so it still predicted the dead latent's scales when the rate came back, and charged the new y for it.
# Here the contextual encoder, decoder, temporal prior and entropy model start afresh (a fresh encoder's y spans
# about one quantization step), and the rate weighs in gradually: at 0.01 the entropy model still fits y at full
# speed (Adam normalizes its rate-only gradients) while the encoder and decoder learn from distortion alone; then
# 0.1. The motion codec and the I-frame codec stay as they are (round 9 with its motion hyperprior refitted to the
# per-level smoothed search, small_motion_entropy_round10.py). The full rate and chains of P-frames follow in
# small_cascade_round10.py.
codec = "small"
# init_from: vnvc train configs/train/small_motion_entropy_round10.py --work-dir runs/small_motion_entropy_round10
init_from = "runs/small_motion_entropy_round10/last.pth"
reinitialize = ["inter.encoder", "inter.decoder", "inter.temporal_prior", "inter.latent"]
aux_lr = 1e-2
data = dict(height=256, width=256, frames=2, seed=2048)
batch_size = 2
stages = [
    dict(stage="inter_contextual", steps=500, lr=3e-4, rate_weight=0.01),
    dict(stage="inter_contextual", steps=400, lr=2e-4, rate_weight=0.1),
]
log_interval = 25
checkpoint_interval = 100
