# Round 23 of `small` (measured and not kept: stopped after 200 steps, BD-rate against round 22 0.0 %, clips -8 to
# +6 %; docs/ARCHITECTURE.md): the contextual latent y's 64 channels coded in two groups of 32, the second group's means
# and scales predicted from the first at the same position (codec option contextual_channel_groups,
# vnvc.models.latent_coding.ChannelContext), inside each of its two checkerboard passes; on round 22, which did the
# same for the I-frame latent in four groups. The grown context starts as no correction; this stage fits it, with
# the rest of y's entropy model (not the temporal prior), on y's rate alone: the networks stay as they are.
_base_ = ["small_contextual_checkerboard_round15.py"]
codec = "configs/codec/small_round23.py"
init_from = "checkpoints/small.pth"  # round 22 (id 07c9669159acf6e7)
data = dict(seed=2204)
stages = [
    dict(stage="contextual_entropy", steps=400, lr=5e-4),
]
