"""6. ``import bctrl_tools`` against ``import httpx, pydantic``, each in a fresh interpreter.

The goal compares whole process times (start, import, exit: what a CLI or a spawned MCP
server pays). The rows below it isolate the import itself (minus a bare interpreter),
and show what httpx's optional command line costs both sides: when ``rich``, ``click``
and ``pygments`` are installed, ``import httpx`` imports them for ``httpx.main``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.importtime import extra_by_package
from benchmarks.results import Comparison, Goal, Section
from benchmarks.timing import rounds_of

GOAL = Goal("ratio_at_most", 1.3)
ROOT = Path(__file__).resolve().parent.parent
CLI_EXTRAS = ("rich", "click", "pygments")
# Marking them missing in sys.modules makes their import fail, as if not installed.
_WITHOUT_CLI = f"import sys; sys.modules.update(dict.fromkeys({CLI_EXTRAS!r}));"

SNIPPETS = {
    "bctrl_tools": "import bctrl_tools",
    "httpx+pydantic": "import httpx, pydantic",
    "nothing": "pass",
    "httpx+BaseModel": "import httpx; from pydantic import BaseModel",
    "bctrl_tools, no CLI extras": _WITHOUT_CLI + "import bctrl_tools",
    "httpx+pydantic, no CLI extras": _WITHOUT_CLI + "import httpx, pydantic",
}

EXPLANATION = """\
Each sample is one `python -c SNIPPET` process, from spawn to exit, run alternately.
"net" rows subtract the median of `python -c pass` (the interpreter and `site`), so
they are the import alone, the number a fix would move. `import pydantic` is lazy: it
does not load `BaseModel`'s machinery (pydantic.main, the schema generator, annotated_types),
so the baseline never pays for defining a model, and `import httpx; from pydantic import
BaseModel` is the floor for any client that defines a pydantic model at import; the
"floor" rows show how far that floor alone is from the baseline. "no CLI extras" rows mark
`rich`, `click` and `pygments` as missing in `sys.modules` first, which is what a
user who installed `bctrl-tools` without the `[cli]` extra (nor anything else pulling
in rich) gets: httpx then skips its command line, and both sides get cheaper by the
same absolute amount."""


FINDINGS = """\
`-X importtime` (see the note) shows what `import bctrl_tools` loads beyond the
baseline: pydantic's `BaseModel` machinery and `annotated_types` (~25 ms: `import
pydantic` alone is lazy, so the baseline never pays it; any pydantic model does, see the
floor rows), `asyncio` (~13 ms of process time, imported by `bctrl_tools/client.py` only
for the async client's retry sleep), and the building of 16 record models and
`ClientSettings` at import (~25 ms). Fixed: asyncio is imported inside the async sleep,
and the models use `defer_build=True`. Before: 1.59-1.64x (205-213 ms); after: the table
above (1.33-1.35x; 1.16x of the pydantic-model floor). The goal as written cannot be met
by any package that defines a pydantic model at import, since that floor alone is 1.14x
of `import httpx, pydantic`; only a lazy `bctrl_tools/__init__.py` (PEP 562
`__getattr__`) would, by deferring the same cost to `from bctrl_tools import
BctrlClient`, which is not a saving, so it was not done."""


def _spawn(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return time.perf_counter() - start


def _spawner(code: str) -> Callable[[int], float]:
    return lambda _round_no: _spawn(code)


def _loaded_by_httpx() -> list[str]:
    code = f"import httpx, sys; print(*[m for m in {CLI_EXTRAS!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return out.stdout.split()


def run(_servers: object, quick: bool) -> Section:
    section = Section("import", "6. Import time", explanation=EXPLANATION, findings=FINDINGS)
    n = 5 if quick else 21
    for code in SNIPPETS.values():
        _spawn(code)  # warm the page cache and the .pyc files
    samples = rounds_of(
        {name: _spawner(code) for name, code in SNIPPETS.items()},
        rounds=dict.fromkeys(SNIPPETS, n),
    )
    bare = sorted(samples["nothing"])[len(samples["nothing"]) // 2]

    def net(name: str) -> list[float]:
        return [max(value - bare, 1e-6) for value in samples[name]]

    def ms(
        what: str,
        ours: tuple[str, list[float]],
        baseline: tuple[str, list[float]],
        goal: Goal | None = None,
    ) -> Comparison:
        samples = f"{n} processes each"
        return Comparison.of(
            what, "-", ours, baseline, unit="ms", scale=1e3, samples=samples, goal=goal
        )

    ours, base = "import bctrl_tools", "import httpx, pydantic"
    section.comparisons = [
        ms(
            "whole process", (ours, samples["bctrl_tools"]), (base, samples["httpx+pydantic"]), GOAL
        ),
        ms("net of `python -c pass`", (ours, net("bctrl_tools")), (base, net("httpx+pydantic"))),
        ms(
            "whole process, vs a pydantic model's floor",
            (ours, samples["bctrl_tools"]),
            ("import httpx; from pydantic import BaseModel", samples["httpx+BaseModel"]),
        ),
        ms(
            "whole process, the floor itself",
            ("import httpx; from pydantic import BaseModel", samples["httpx+BaseModel"]),
            (base, samples["httpx+pydantic"]),
        ),
        ms(
            "net, no rich/click/pygments",
            (ours, net("bctrl_tools, no CLI extras")),
            (base, net("httpx+pydantic, no CLI extras")),
        ),
        ms(
            "net, what httpx's CLI costs",
            (base, net("httpx+pydantic")),
            ("same, no CLI extras", net("httpx+pydantic, no CLI extras")),
        ),
    ]
    loaded = _loaded_by_httpx()
    section.notes = [
        f"`python -c pass` takes {bare * 1e3:.0f} ms (median).",
        "`import httpx` here also imports: "
        + (", ".join(f"`{name}`" for name in loaded) if loaded else "none of rich/click/pygments"),
        "`import bctrl_tools` (-X importtime, self times, one run): "
        + extra_by_package("import bctrl_tools", "import httpx, pydantic"),
    ]
    return section
