"""What a user reads at the end of a run: a one-screen summary of the report."""

from __future__ import annotations

from typing import Any


def summary_text(report: dict[str, Any], top: int = 5) -> str:
    """Documents in, kept, top drop reasons, tokens written, output and wall time."""
    totals = report["totals"]
    run = report.get("run", {})
    lines = [
        f"byod {run.get('job', '?')}: {totals['in']:,} documents in -> {totals['kept']:,} kept, "
        f"{totals['dropped']:,} dropped, {totals['rejected']:,} rejected",
    ]
    for reason, count in list(report.get("dropped_by_reason", {}).items())[:top]:
        lines.append(f"  dropped {count:>8,}  {reason}")
    for reason, count in list(report.get("rejected_by_reason", {}).items())[:top]:
        lines.append(f"  rejected {count:>7,}  {reason}")
    output = report.get("output", {})
    if "tokens" in output:
        lines.append(f"  tokens written: {output['tokens']:,} in {output.get('samples', 0):,} samples")
    lines.append(f"  output: {run.get('config', {}).get('output', '?')}   wall time: {run.get('wall_seconds', 0):.1f} s")
    return "\n".join(lines)
