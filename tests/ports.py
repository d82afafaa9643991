"""A free loopback port for a server a test starts (SMTP, IMAP, Redis, Prism, Birge itself)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port the kernel has just handed out and taken back.

    A child process binds it a moment later: the short window between the two is the price of
    starting each server exactly as it runs outside the tests.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
