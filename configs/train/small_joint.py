# Joint human-machine fine-tuning of the shipped `small` codec (VNVC's last stage): the cascade's rate-distortion
# loss plus the loss of the shipped feature-domain detector (frozen) on every P-frame's F̂t.
# Needs the labelled set the heads were trained on:
#   python -c "from vnvc.data import generate_dataset; generate_dataset('out/synth', 'train', 32, 12, 128, 160, seed=7)"
codec = "small"
init_from = "checkpoints/small.pth"
data = dict(height=128, width=128, frames=3, seed=2027)
batch_size = 2
stages = [
    dict(stage="joint", steps=150, lr=2e-5, frames=3,
         task=dict(data="out/synth", split="train", weight=1.0,
                   config="configs/tasks/small/detection_feature.py",
                   head="checkpoints/heads/detection_feature.pth")),
]
log_interval = 10
checkpoint_interval = 50
