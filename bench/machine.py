"""What every benchmark prints beside its figures: the CPU it ran on and how busy the machine was."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one) and the number of cores."""
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
    return f"{cpu}, {os.cpu_count()} cores"


def load(digits: int = 1) -> float:
    """The 1-minute load average."""
    return round(os.getloadavg()[0], digits) if hasattr(os, "getloadavg") else float("nan")
