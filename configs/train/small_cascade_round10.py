# Round 10 of the shipped `small` model, second part: the revived contextual latent (small_contextual_round10.py)
# trained over chains of P-frames, with the rate weighing in fully.
# After the first part, on the held-out clips the first P-frame after an I-frame got 0.1-0.9 dB better for about
# 0.03 bpp of contextual latent, but every later P-frame drifted further (about 1.3 dB a frame, down to 20 dB by
# the seventh): the decoder had only ever seen an I-frame's feature as its reference. The cascade stage codes
# two P-frames in a row, each against the previous one's decoded feature, and backpropagates through the chain.
codec = "small"
# init_from: vnvc train configs/train/small_contextual_round10.py --work-dir runs/small_contextual_round10
init_from = "runs/small_contextual_round10/last.pth"
aux_lr = 1e-2
data = dict(height=256, width=256, seed=2049)
batch_size = 2
stages = [
    dict(stage="cascade", steps=120, lr=1e-4, frames=3, rate_weight=0.3),
    dict(stage="cascade", steps=150, lr=1e-4, frames=3),
    # the factorized densities of the hyper-latents fitted at a high learning rate at the end
    dict(stage="cascade", steps=30, lr=2e-5, frames=3, entropy_lr=1e-2),
]
log_interval = 10
checkpoint_interval = 30
