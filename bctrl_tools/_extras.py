"""Console scripts installed by every install, run without the extra they need.

``bctrl-mcp`` and ``bctrl-sandbox`` are installed by a plain ``pip install bctrl-tools``
too; without their extra they say which one to install, in one line, instead of a
``ModuleNotFoundError`` traceback. Packaging only: it knows nothing of the API.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["EXIT_MISSING_EXTRA", "needs_extra"]

EXIT_MISSING_EXTRA = 2
_OURS = {"bctrl_tools", "mcp_server"}


@contextmanager
def needs_extra(script: str, extra: str) -> Iterator[None]:
    """Around the imports ``script`` needs: a missing module ends it naming ``extra``."""
    try:
        yield
    except ModuleNotFoundError as error:
        missing = error.name or "?"
        if missing.partition(".")[0] in _OURS:
            raise  # one of our own modules: a broken install or a bug, not a missing extra
        print(
            f'{script} needs the {extra} extra: pip install "bctrl-tools[{extra}]" '
            f"(missing module: {missing})",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_MISSING_EXTRA) from None
