"""Which listen addresses only this machine can reach; shared by both servers.

``bctrl-mcp`` refuses a non-loopback bind without a token, and ``bctrl-sandbox`` one with
its guessable default key. Networking only: it knows nothing of the API, so the
sandbox may use it and stay an independent implementation.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` can only be reached from this machine (a name may resolve anywhere)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
