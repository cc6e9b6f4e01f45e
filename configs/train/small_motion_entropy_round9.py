# Round 9 of the shipped `small` model, last step: the motion latent's entropy model refitted to the encoder's
# smoothed motion search (`vnvc.models.motion_estimation.smooth_flow`, then applied to the final field only), whose
# flow fields are calmer than those the motion hyperprior was fitted to. Round 9 is round 8 with 5,000 more I-frame
# steps (small_intra_round9.py); the `motion_entropy` stage refits only that entropy model, by rate alone, on
# latents of the smoothed search, with round 8's schedule.
# A second flow-step calibration (`python -m vnvc.train.step_calibration --groups flow --factors 0.8 1 1.25 1.6 2`)
# found at most 0.18 dB over the curve on its clips and lost 0.03-0.43 dB at 1-7 % fewer bits on the held-out
# clips, so round 9 keeps round 8's steps.
_base_ = ["small_motion_entropy_round8.py"]
# init_from: the I-frame stage's checkpoint
#   (vnvc train configs/train/small_intra_round9.py --work-dir runs/small_intra_round9)
init_from = "runs/small_intra_round9/last.pth"
data = dict(height=256, width=256, frames=2, seed=2045)
