# A fifth revival of the contextual latent, on round 11: the contextual decoder gets a linear block-synthesis path
# from y to F̂t that starts at zero (configs/codec/small_block_path.py, vnvc.models.inter.BlockSynthesis). On one
# fixed batch at lr 1e-3 (round 11's probe) the decoder's convolutional path opened a gap of 0.6 dB between the
# frame decoded with y and with y zeroed in 100 steps; with the path, 0.8 dB in 20 steps and 1.7 dB in 40. The
# rate's gradient stays off the contextual encoder (detach_contextual_rate) until the decoder reads y; lr 3e-4,
# since round 11's run at 1e-3 diverged.
# Result, not kept (runs/round12_block_path.log; stopped at step 550 of the first stage, so the second never ran):
# on the held-out clips the P-frame decoded with y and with y zeroed agreed within 0.001 dB after 150, 350 and
# 550 steps, and y's spread kept falling (0.19, 0.17, 0.13 quantization steps at rate 0) with the rate's gradient
# off; the P-frames stayed level with round 11's. `vnvc train ... --resume` continues it.
codec = "small_block_path"
init_from = "checkpoints/small.pth"  # round 11 (id 4d80caca9b027795)
reinitialize = ["inter.encoder", "inter.decoder", "inter.temporal_prior", "inter.latent"]
aux_lr = 1e-2
data = dict(height=256, width=256, seed=2051)
batch_size = 2
stages = [
    dict(stage="inter_contextual", steps=1000, lr=3e-4, detach_contextual_rate=True),
    dict(stage="inter_contextual", steps=1000, lr=1e-4),
]
log_interval = 25
checkpoint_interval = 50
