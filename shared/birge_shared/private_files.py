"""Files that hold personal data on the local machine, readable by their owner only.

`birge dev` keeps the simulator's SMS (`var/sms-outbox.jsonl`), the e-mails of the mail folder
(`var/mail/`) and the SQLite database (`var/birge.db*`) on disk, in clear text or with keys
next to them. Whatever the umask, each is created 0600 inside folders created 0700, and a
file left more open by an earlier version is narrowed when it is opened again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(folder: Path, *, narrow_existing: bool = False) -> Path:
    """Create `folder` and any missing parent 0700.

    An existing folder is left as it is (it may be the working directory, or shared), unless
    `narrow_existing` says the folder is Birge's own, like `var/mail`.
    """
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    for path in reversed(missing):
        path.mkdir(mode=FOLDER_MODE, exist_ok=True)
        path.chmod(FOLDER_MODE)  # mkdir's mode is reduced by the umask, never widened
    if narrow_existing and folder.stat().st_mode & 0o777 != FOLDER_MODE:
        folder.chmod(FOLDER_MODE)
    return folder


def private_file(path: Path) -> Path:
    """Create `path` empty and 0600 if it is missing; narrow it if it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return path


def open_private_append(path: Path) -> TextIO:
    """Open `path` for appending UTF-8 text, created 0600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)
    return os.fdopen(descriptor, "a", encoding="utf-8")


def write_private_bytes(path: Path, data: bytes) -> None:
    """Write `path` whole, created 0600 (replacing what it held)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
