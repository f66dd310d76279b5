"""What every benchmark prints beside its figures: the CPU it ran on and how busy the machine was."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from fmtwist_cli.network.precision import BFLOAT16_FLAGS, cpu_flags

# The vector extensions that decide how fast training runs here (bfloat16 ones: what --precision auto reads)
SIMD_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", *BFLOAT16_FLAGS)


def machine() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one), the number of cores and which of
    :data:`SIMD_FLAGS` it has."""
    cpu = platform.processor() or platform.machine()
    try:
        names = [
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    flags = cpu_flags()
    has = [flag for flag in SIMD_FLAGS if flag in flags]
    return f"{cpu}, {os.cpu_count()} cores" + (f" ({' '.join(has)})" if has else "")


def load(digits: int = 1) -> float:
    """The 1-minute load average."""
    return round(os.getloadavg()[0], digits) if hasattr(os, "getloadavg") else float("nan")
