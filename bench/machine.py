"""The machine a benchmark ran on, as each benchmark's JSON names it."""

from __future__ import annotations

import os
import platform
from typing import Any

import torch


def describe_machine(device: torch.device | None = None) -> dict[str, Any]:
    """CPU, torch's thread count, cores, the GPU when ``device`` is a CUDA device, and torch's version."""
    gpu = torch.cuda.get_device_name(device) if device is not None and device.type == "cuda" else None
    return {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
            "cores": os.cpu_count(), "gpu": gpu, "torch": torch.__version__}
