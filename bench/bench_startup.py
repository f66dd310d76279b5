"""Start-up time: `fmtwist --help` and `import fmtwist_cli`, each in fresh processes.

Each command runs once to warm the file cache, then ``--repeat`` times (5 by default), each a new process, the
commands taking turns; the table shows the median wall time and the median CPU time (user + system) of those
runs, and the fastest. For context it also times a bare interpreter (``python -c pass``) and the imports the
command line cannot do without (``import typer``, ``import rich``). A busy machine stretches wall time more than
CPU time: the load average is printed at the start and at the end.

Target (issue 17): `fmtwist --help` <= 0.25 s, median of 5. A shell's Tab runs the same start-up: the table
shows completing the command names in bash too.

Usage:
    .venv/bin/python bench/bench_startup.py [--repeat 5] [--json artifacts/bench-startup.json]

`fmtwist` is the console script next to this Python (``python -m fmtwist_cli`` where there is none).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import load, machine

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "fmtwist"
FMTWIST = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "fmtwist_cli"]
TARGET_HELP_S = 0.25
CASES = {
    "fmtwist --help": [*FMTWIST, "--help"],
    "fmtwist <Tab> (bash)": ["env", "_FMTWIST_COMPLETE=complete_bash", "COMP_WORDS=fmtwist ", "COMP_CWORD=1", *FMTWIST],
    "import fmtwist_cli": [sys.executable, "-c", "import fmtwist_cli"],
    "import typer": [sys.executable, "-c", "import typer"],
    "import rich": [sys.executable, "-c", "import rich"],
    "python -c pass": [sys.executable, "-c", "pass"],
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "COLUMNS": "100"}, cwd=ROOT)
    return time.perf_counter() - start, children_cpu() - cpu


def timed(cases: dict[str, list[str]], repeat: int) -> dict[str, dict]:
    """One warm-up run of each command, then ``repeat`` rounds in which every command runs once, taking turns so
    that a change in the machine's load hits every command alike."""
    for cmd in cases.values():
        run(cmd)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, cmd in cases.items():
            runs[name].append(run(cmd))
    return {
        name: {
            "median_s": round(statistics.median(wall for wall, _ in times), 3),
            "cpu_median_s": round(statistics.median(cpu for _, cpu in times), 3),
            "min_s": round(min(wall for wall, _ in times), 3),
            "all_s": [round(wall, 3) for wall, _ in times],
        }
        for name, times in runs.items()
    }


def versions() -> dict:
    from importlib.metadata import version

    return {"python": platform.python_version(), **{name: version(name) for name in ("typer", "rich")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per command, after one warm-up")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}; load average {load(2)}", file=sys.stderr)
    results = timed(CASES, args.repeat)
    width = max(map(len, CASES)) + 2
    print(f"median of {args.repeat} fresh processes after one warm-up; fmtwist is {' '.join(FMTWIST)}")
    print(f"{'':<{width}} {'wall s':>7} {'CPU s':>7} {'fastest':>8}")
    for name, r in results.items():
        print(f"{name:<{width}} {r['median_s']:>7.3f} {r['cpu_median_s']:>7.3f} {r['min_s']:>8.3f}")
    result = {"machine": machine(), "load_average_end": load(2), "versions": versions(), "fmtwist": FMTWIST}
    result |= {"repeat": args.repeat, "target_help_s": TARGET_HELP_S, "results": results}
    print(f"\n{machine()}, load average {result['load_average_end']} at the end")
    if results["fmtwist --help"]["median_s"] > TARGET_HELP_S:
        print(
            f"target missed: fmtwist --help {results['fmtwist --help']['median_s']} s > {TARGET_HELP_S} s",
            file=sys.stderr,
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
