"""The machine a run was measured on, for the head of RESULTS.md."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "bctrl-tools",
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "pydantic",
    "pydantic-core",
    "requests",
    "urllib3",
    "langchain-core",
    "mcp",
    "starlette",
    "uvicorn",
    "rich",
    "click",
    "pygments",
)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return None


def load_average() -> str:
    try:
        return " ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "unknown"


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def describe() -> list[str]:
    """Markdown bullet lines."""
    memory = memory_gib()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    package_list = ", ".join(f"{name} {version}" for name, version in versions().items())
    return [
        f"- date: {now()}",
        f"- CPU: {cpu_model()}; {os.cpu_count()} logical cores ({usable} usable by this run)",
        f"- memory: {memory:.1f} GiB" if memory else "- memory: unknown",
        f"- OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Python: {sys.version.split()[0]} ({platform.python_implementation()}), "
        f"`{sys.executable}`",
        f"- load average (1, 5, 15 min) when the run started: {load_average()}",
        f"- packages: {package_list}",
    ]
