# Round 19 of `small`, third try: small_cascade_round19b.py with the rate weighed 10x instead of 5x. Over five
# P-frames in a row a dB in a reference pays several times, so at the same weight the P-frames rose above their
# I-frame (held-out, rate 3: 32.3 against 31.2 dB) and the first P-frame paid for it; a larger weight brings them
# back to the balance with the I-frame that the two-P-frame cascades had.
_base_ = ["small_cascade_round19b.py"]
stages = [
    dict(stage="cascade", steps=150, lr=5e-5, frames=6, rate_weight=10.0, intra_feature=True),
]
