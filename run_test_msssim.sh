#!/usr/bin/env bash
# DCVC-style one-line entry: the evaluation of run_test_psnr.sh with MS-SSIM as the headline of its summary.
# DCVC ships separate MS-SSIM-trained models; VNVC has one model per checkpoint: CHECKPOINT picks it (default: shipped).
# usage: [CHECKPOINT=name|path] ./run_test_msssim.sh [CONFIG.json] [OUT.json] [extra args for eval/human_vision.py]
set -euo pipefail
cd "$(dirname "$0")"
exec ./run_test_psnr.sh "${1:-samples/dataset_config.json}" "${2:-out/human_vision_msssim.json}" --metric msssim "${@:3}"
