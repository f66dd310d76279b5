"""bench_train.py's table, and its judgement of issue 20's targets: a mean test accuracy over seeds, a share of
custom's 15-epoch time, a share of the machine's measured matmul peak in the precision trained in."""

from __future__ import annotations

from typing import Any


def table(rows: list[dict[str, Any]], custom_full: float | None, peak: float, precision: str = "float32") -> str:
    """The markdown table; ``peak`` is the matmul rate in ``precision``, what the networks trained in."""
    lines = [
        "| arch | parameters | epochs (batch, schedule) | s/epoch | total s | test accuracy | first val ≥ 0.93 "
        "| full schedule vs custom's | MFLOP/image (train) "
        f"| GFLOP/s, share of the {peak:.0f} GFLOP/s {precision} peak |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        reached = f"{r['seconds_to_0.93']:.0f} s" if r["seconds_to_0.93"] is not None else "never"
        accuracy = f"{r['test_accuracy']:.4f}"
        if len(r["test_accuracies"]) > 1:
            accuracy += f" (mean of {', '.join(f'{a:.4f}' for a in r['test_accuracies'])})"
        full = f"{r['full_schedule_seconds']:.0f} s" + (
            f" (extrapolated from {r['epochs']})" if r["extrapolated"] else ""
        )
        share = f"{full}, {r['full_schedule_seconds'] / custom_full:.2f}×" if custom_full else full
        lines.append(
            f"| `{r['arch']}` | {r['params']:,} | {r['epochs']} ({r['batch_size']}, {r['schedule']}) "
            f"| {r['seconds_per_epoch']:.1f} | "
            f"{r['train_seconds']:.0f} | {accuracy} | {reached} | {share} "
            f"| {r['train_mflop_per_image']:.1f} | {r['gflops']:.1f}, {r['gflops'] / peak:.0%} |"
        )
    return "\n".join(lines)


# Issue 20's targets against custom's 15-epoch time: (name, least mean test accuracy, most share of custom's time)
TARGETS = (("must", 0.940, 1 / 5), ("aim", 0.945, 1 / 6))
PEAK_SHARE = 0.45  # and at least this share of the measured matmul peak (in the precision trained in)


def verdicts(rows: list[dict[str, Any]], custom_full: float, peak: float) -> list[str]:
    """One line per architecture (other than custom) and target: met or not, with the figures it rests on."""
    lines = []
    for r in rows:
        if r["arch"] == "custom" or r["extrapolated"]:
            continue
        share, seeds = r["full_schedule_seconds"] / custom_full, len(r["test_accuracies"])
        for name, accuracy, most in TARGETS:
            met = r["test_accuracy"] >= accuracy and share <= most
            lines.append(
                f"{r['arch']} {name} (mean test accuracy >= {accuracy} in <= 1/{round(1 / most)} of custom's time): "
                f"{'met' if met else 'not met'}: {r['test_accuracy']:.4f} over {seeds} seed(s) in {share:.3f}x"
            )
        lines.append(
            f"{r['arch']} efficiency (>= {PEAK_SHARE:.0%} of peak): "
            f"{'met' if r['gflops'] >= PEAK_SHARE * peak else 'not met'}: {r['gflops'] / peak:.0%}"
        )
    return lines
