#!/usr/bin/env bash
# DCVC-style one-line entry: PSNR-oriented test of the shipped model (and anchors) on a dataset config.
# usage: [CHECKPOINT=name|path] ./run_test_psnr.sh [CONFIG.json] [OUT.json] [extra args for eval/human_vision.py]
set -euo pipefail
cd "$(dirname "$0")"
config=${1:-samples/dataset_config.json}
out=${2:-out/human_vision_psnr.json}
shift $(( $# > 2 ? 2 : $# ))
exec .venv/bin/python eval/human_vision.py --test-config "$config" --output-path "$out" --rates 0 1 2 3 \
    ${CHECKPOINT:+--checkpoint "$CHECKPOINT"} "$@"
