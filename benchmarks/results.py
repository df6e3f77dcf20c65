"""What a benchmark reports: comparisons against goals, as console and markdown tables."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from benchmarks.timing import median, paired_ratio

GoalKind = Literal["ratio_at_most", "speedup_at_least", "delta_at_most"]


@dataclass(frozen=True)
class Goal:
    """``ratio_at_most``: ours/baseline <= limit; ``speedup_at_least``: baseline/ours >=
    limit; ``delta_at_most``: ours - baseline <= limit, in the comparison's unit."""

    kind: GoalKind
    limit: float

    def text(self, unit: str) -> str:
        if self.kind == "ratio_at_most":
            return f"≤ {self.limit:g}x"
        if self.kind == "speedup_at_least":
            return f"≥ {self.limit:g}x faster"
        return f"≤ +{self.limit:g} {unit}"


@dataclass(frozen=True)
class Comparison:
    """Ours against a baseline on one target; values are medians in ``unit``."""

    what: str
    target: str
    ours: str
    baseline: str
    ours_value: float
    baseline_value: float
    unit: str
    ratio: float  # ours / baseline, paired per round
    samples: str  # e.g. "15x200 calls"
    goal: Goal | None = None

    @classmethod
    def of(
        cls,
        what: str,
        target: str,
        ours: tuple[str, list[float]],
        baseline: tuple[str, list[float]],
        *,
        unit: str,
        scale: float,
        samples: str,
        goal: Goal | None = None,
    ) -> Comparison:
        """From raw samples (e.g. seconds), shown as ``value * scale`` in ``unit``."""
        return cls(
            what=what,
            target=target,
            ours=ours[0],
            baseline=baseline[0],
            ours_value=median(ours[1]) * scale,
            baseline_value=median(baseline[1]) * scale,
            unit=unit,
            ratio=paired_ratio(ours[1], baseline[1]),
            samples=samples,
            goal=goal,
        )

    @property
    def delta(self) -> float:
        return self.ours_value - self.baseline_value

    @property
    def met(self) -> bool | None:
        goal = self.goal
        if goal is None:
            return None
        if goal.kind == "ratio_at_most":
            return self.ratio <= goal.limit
        if goal.kind == "speedup_at_least":
            return 1 / self.ratio >= goal.limit
        return self.delta <= goal.limit

    @property
    def verdict(self) -> str:
        met = self.met
        return "info" if met is None else "met" if met else "MISSED"

    def measure_text(self) -> str:
        """The number the goal is about, as the goal states it."""
        if self.goal is not None and self.goal.kind == "speedup_at_least":
            return f"{1 / self.ratio:.2f}x faster"
        if self.goal is not None and self.goal.kind == "delta_at_most":
            return f"+{self.delta:.2f} {self.unit}"
        return f"{self.ratio:.2f}x"


@dataclass
class Section:
    """One benchmark's results and its explanation (markdown)."""

    name: str
    title: str
    comparisons: list[Comparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # extra measurements, one line each
    explanation: str = ""
    findings: str = ""  # why a goal is missed and the fix; shown only while one is missed
    skipped: str | None = None
    seconds: float = 0.0
    measured_at: str = ""

    @property
    def missed(self) -> bool:
        return any(c.met is False for c in self.comparisons)

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Section:
        raw = dict(data)
        comparisons = []
        for item in raw.pop("comparisons", []):  # type: ignore[attr-defined]
            goal = item.pop("goal")
            comparisons.append(Comparison(**item, goal=Goal(**goal) if goal else None))
        return cls(comparisons=comparisons, **raw)  # type: ignore[arg-type]


def fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value < 1 else f"{value:.2f}"


def markdown_table(comparisons: list[Comparison]) -> str:
    lines = [
        "| what | target | ours | baseline | ours (median) | baseline (median) "
        "| ours / baseline | goal | result | samples |",
        "|---|---|---|---|--:|--:|--:|---|---|---|",
    ]
    for c in comparisons:
        goal = c.goal.text(c.unit) if c.goal else "-"
        lines.append(
            f"| {c.what} | {c.target} | {c.ours} | {c.baseline} "
            f"| {fmt(c.ours_value)} {c.unit} | {fmt(c.baseline_value)} {c.unit} "
            f"| {c.measure_text()} | {goal} | **{c.verdict}** | {c.samples} |"
        )
    return "\n".join(lines)


def console_table(sections: list[Section]) -> str:
    header = (
        f"{'benchmark':<11} {'what':<40} {'target':<15} {'ours':>12} {'baseline':>12} "
        f"{'measure':>16} {'goal':>15}  result"
    )
    lines = [header, "-" * len(header)]
    for section in sections:
        if section.skipped:
            lines.append(f"{section.name:<11} skipped: {section.skipped}")
            continue
        for c in section.comparisons:
            goal = c.goal.text(c.unit) if c.goal else "-"
            lines.append(
                f"{section.name:<11} {c.what[:40]:<40} {c.target[:15]:<15} "
                f"{fmt(c.ours_value) + ' ' + c.unit:>12} "
                f"{fmt(c.baseline_value) + ' ' + c.unit:>12} "
                f"{c.measure_text():>16} {goal:>15}  {c.verdict}"
            )
        lines.extend(f"{'':<11} note: {note}" for note in section.notes)
    return "\n".join(lines)
