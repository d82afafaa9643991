"""Reading a new staff password without it ever appearing in argv or the shell history."""

from __future__ import annotations

import getpass
from typing import TextIO


class PasswordInputError(ValueError):
    pass


def read_password(stdin: TextIO) -> str:
    """Prompt twice on a terminal; otherwise take the first line of stdin (for scripts)."""
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != first:
            raise PasswordInputError("the passwords do not match")
        return first
    line = stdin.readline()
    if not line:
        raise PasswordInputError("no password on standard input")
    return line.rstrip("\r\n")
