# Round 12 of `small`, a sixth revival of the contextual latent: the residual path (codec option
# contextual_residual_path, vnvc.models.inter.ResidualBlockCoding). Round 11's y and z code nothing (0 bpp), and its
# contextual decoder adds nothing to the warped reference (within 0.1 dB). The new path adds to y a block-DCT code
# of the encoder's pixel residual and lifts its decoded blocks into F̂t through the I-frame adaptor, on which
# round 11's reconstruction network is nearly the identity: added to round 11 untrained, it gives the held-out
# P-frames +0.35 to +2.5 dB, at y rates of 0.02-0.54 bpp under round 11's entropy model (fitted to a dead y).
# Full RD from the first step: a first try with 100 steps of detach_contextual_rate (the entropy model fitting y
# while the encoder learns from the distortion alone) let y's rate grow to 0.3-1.0 bpp on the held-out clips by
# step 50 for +0.1-1 dB, so the rate has to reach the encoder from the start.
# After 250 steps y was alive (held-out first P-frames +0.4 to +2.0 dB at rate 0 for 0.04-0.07 bpp of y, +1.5 to
# +2.8 dB at rate 3 for 0.12-0.34 bpp; with y zeroed, 1.2-4.5 dB worse), but at the λ's price of a dB, 0.07-0.3
# bpp a P-frame, where x265's curve on these clips pays 0.015-0.03 bpp a dB. The second stage weighs the rate 5×.
codec = "small"
init_from = "checkpoints/small.pth"  # round 11 (id 4d80caca9b027795)
grow = ["inter.residual"]
aux_lr = 1e-2
data = dict(height=256, width=256, seed=2052)
batch_size = 2
stages = [
    dict(stage="inter_contextual", steps=250, lr=3e-4),
    dict(stage="inter_contextual", steps=400, lr=1e-4, rate_weight=5.0),
]
log_interval = 25
checkpoint_interval = 50
