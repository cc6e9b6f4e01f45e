# Round 33 try of `small` (measured, not kept; 27 min on the 2-core CPU): 3,000 more I-frame steps (as round 14's try) on a wider pool of pictures, the seventeen
# photographs plus eleven frames of the bikes video's later scenes (`pool="photos+bikes"`, vnvc.data.images). After
# round 32 the real videos showed the I-frames at 1.8-2.5x x265's bits where the training photographs' views put
# them level (docs/training_log.md, "Real videos"); carphone and Big Buck Bunny stay unseen, and so does the bikes
# scene that eval/make_real_set.py measures.
_base_ = ["small_intra_round11.py"]
init_from = "checkpoints/small.pth"  # round 26-32 (id 0e865b9a112110dc)
data = dict(height=256, width=256, frames=3, seed=2290, pool="photos+bikes")
stages = [
    dict(stage="intra", steps=2600, lr=1e-4),
    # lower learning rate at the end, the factorized density of the hyper-latent fitted at a high one
    dict(stage="intra", steps=400, lr=2e-5, entropy_lr=1e-2),
]
# Measured in its shipped form (convolutions in half precision; docs/training_log.md, "Real videos"): I-frames
# against x265 on the real videos +126 / +69 / +101 % on bikes (other scenes trained), carphone and Big Buck Bunny
# (unseen), against round 32's +152 / +80 / +91 %; BD-rate against round 32 -1.15 % on the four held-out clips and
# -0.27 % on the eight of set b.
