# Round 11 of the shipped `small` model: the contextual latent revived, fourth attempt.
# Round 10's attempt (small_contextual_round10.py: fresh contextual networks, the rate weighed in at 0.01, then
# 0.1) lost y again: its per-latent log showed y's rate falling from 0.30 to 0.05 bpp within 150 steps at weight
# 0.01, the information the decoder used going through the hyper-latent z. The likely reason: while the decoder
# does not yet depend on y, the encoder's only gradient is the rate's, and Adam, which normalizes each
# parameter's gradient, moves it at the full learning rate however small the rate's weight.
# Here the first stage keeps the rate's gradient away from the contextual encoder (detach_contextual_rate): the
# entropy model fits y at the full rate weight while the encoder and decoder learn from the distortion alone. Even
# so the decoder is slow to read y: at lr 3e-4 on 256x256 clips it still ignored it after 150 steps (the decoded
# frame moved by under 0.01 dB when y was zeroed; with y plus noise for the decoder, the same), while one fixed
# batch at lr 1e-3 opened a 0.6 dB gap in 100 steps. Hence lr 1e-3. The second stage lets the rate reach the
# encoder, once the decoder depends on y. The motion codec and the I-frame codec are round 10's.
# Result, not kept (runs/round11_contextual.log): at step 250 the decoder still ignored y (held-out P-frames: the
# same PSNR to 0.01 dB with y zeroed) while y's rate stayed up (0.06-0.07 bpp at rate 0, 0.26-0.39 at rate 3:
# the rate no longer drove it to zero), and the P-frames were 0.1-3.6 dB below round 10's; at step 350 the loss blew
# up (mse 0.03) and at 375 it was NaN. The second stage never ran.
codec = "small"
init_from = "checkpoints/small.pth"  # round 10 (id 1a5e36eddcb82297)
reinitialize = ["inter.encoder", "inter.decoder", "inter.temporal_prior", "inter.latent"]
aux_lr = 1e-2
data = dict(height=256, width=256, seed=2049)
batch_size = 2
stages = [
    dict(stage="inter_contextual", steps=500, lr=1e-3, detach_contextual_rate=True),
    dict(stage="inter_contextual", steps=400, lr=3e-4),
]
log_interval = 25
checkpoint_interval = 50
