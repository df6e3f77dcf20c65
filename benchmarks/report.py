"""RESULTS.md: the machine, a summary, and one section per benchmark.

The file is regenerated from data each time. The data of every section sits in a
comment at its end, so a run of a few benchmarks (``python -m benchmarks client``)
replaces only their sections and keeps the others, each with the date it was measured.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from benchmarks.results import Section, markdown_table

RESULTS_PATH = Path(__file__).with_name("RESULTS.md")
_DATA = re.compile(r"<!-- results-data: (.*?) -->", re.DOTALL)


def load_sections(path: Path = RESULTS_PATH) -> list[Section]:
    try:
        text = path.read_text()
    except OSError:
        return []
    match = _DATA.search(text)
    if match is None:
        return []
    try:
        return [Section.from_json(item) for item in json.loads(match.group(1))]
    except (ValueError, TypeError, KeyError):
        return []  # an older format: start afresh


def merge(old: list[Section], new: list[Section], order: list[str]) -> list[Section]:
    by_name = {section.name: section for section in old}
    by_name.update({section.name: section for section in new})
    return [by_name[name] for name in order if name in by_name]


def render(sections: list[Section], machine: list[str], command: str) -> str:
    parts = [
        "# bctrl-tools benchmarks",
        "",
        "Written by `make bench` (`.venv/bin/python -m benchmarks`); do not edit by hand, the "
        "text lives in `benchmarks/bench_*.py`. Benchmarks are measurements, not tests: "
        "nothing asserts on a timing and CI does not run them. A subset "
        "(`python -m benchmarks client batch`) replaces only its own sections below.",
        "",
        "**Method.** Ours and the baseline run in one process, side by side, interleaved "
        "round by round in ABBA order, on a shared 2-core machine; every number is a median, "
        "and every ratio is ours / baseline taken round by round, then the median. Each "
        "client benchmark runs against the **sandbox** (`SandboxProcess`: uvicorn, "
        "starlette, SQLite) and against the **canned** server (`benchmarks/canned.py`: a "
        "raw-asyncio keep-alive HTTP/1.1 server that answers every request with one real "
        "sandbox record), where the server costs next to nothing and so the client's own "
        "cost shows. Servers run in their own processes.",
        "",
        "## Machine (latest run)",
        "",
        *machine,
        f"- command: `{command}`",
        "",
        "## Summary",
        "",
        _summary(sections),
        "",
    ]
    for section in sections:
        parts += _section(section)
    data = json.dumps([section.to_json() for section in sections], ensure_ascii=False)
    # ">" only occurs inside strings, where \u003e means the same: "-->" can never end the
    # comment early.
    parts.append(f"<!-- results-data: {data.replace('>', chr(92) + 'u003e')} -->")
    return "\n".join(parts) + "\n"


def _summary(sections: list[Section]) -> str:
    lines = [
        "| benchmark | what | target | measure | goal | result |",
        "|---|---|---|--:|---|---|",
    ]
    for section in sections:
        label = f"{section.title.split('.')[0]}. {section.name}"
        if section.skipped:
            lines.append(f"| {label} | - | - | - | - | skipped |")
        for c in section.comparisons:
            if c.goal is None:
                continue
            lines.append(
                f"| {label} | {c.what} | {c.target} | {c.measure_text()} "
                f"| {c.goal.text(c.unit)} | **{c.verdict}** |"
            )
    return "\n".join(lines)


def _section(section: Section) -> list[str]:
    lines = [f"## {section.title}", ""]
    when = f"Measured {section.measured_at}" if section.measured_at else "Measured"
    lines += [f"_{when}, in {section.seconds:.0f} s._", ""]
    if section.skipped:
        lines += [f"**Skipped:** {section.skipped}", ""]
    if section.comparisons:
        lines += [markdown_table(section.comparisons), ""]
    if section.notes:
        lines += [f"- {note}" for note in section.notes] + [""]
    if section.explanation:
        lines += [section.explanation, ""]
    if section.findings and section.missed:
        lines += ["**Why a goal is missed (profiled), and the fix.** " + section.findings, ""]
    return lines
