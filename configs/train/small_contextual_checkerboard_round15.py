# Round 15 of `small`, second part: the contextual latent y coded in two checkerboard passes too (codec option
# contextual_checkerboard, vnvc.models.latent_coding.LearnedCheckerboardContext), on top of
# configs/train/small_intra_checkerboard_round15.py. y's hyper-latent codes nothing, so its scales come from the
# temporal prior alone; the grown context starts as no correction, and this stage fits it, with the rest of y's
# entropy model (not the temporal prior), on y's rate alone: the networks stay as they are.
codec = "small"
init_from = "runs/small_intra_checkerboard_round15/last.pth"
grow = ["inter.latent"]
aux_lr = 1e-2
data = dict(height=256, width=256, frames=2, seed=2058)
batch_size = 4
stages = [
    dict(stage="contextual_entropy", steps=600, lr=5e-4),
]
log_interval = 20
checkpoint_interval = 100
