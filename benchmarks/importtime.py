"""What one import loads that another does not, from ``python -X importtime``."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def self_times(code: str) -> dict[str, int]:
    """Module name -> its own import time in microseconds, for ``python -c code``."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    times = {}
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[0].startswith("import time:"):
            try:
                times[parts[2].strip()] = int(parts[0].removeprefix("import time:"))
            except ValueError:
                continue  # the header line
    return times


def extra_by_package(code: str, baseline: str, top: int = 7) -> str:
    """The modules ``code`` imports and ``baseline`` does not, by top-level package.

    Self times only, so nothing is counted twice; one run each, so read them as sizes,
    not as measurements.
    """
    ours, base = self_times(code), self_times(baseline)
    packages: Counter[str] = Counter()
    for module, micros in ours.items():
        if module not in base:
            packages[module.split(".")[0]] += micros
    total = sum(packages.values()) / 1000
    shown = ", ".join(
        f"{name} {micros / 1000:.1f} ms" for name, micros in packages.most_common(top)
    )
    return f"{total:.0f} ms in modules the baseline does not load: {shown}"
