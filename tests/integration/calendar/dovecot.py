"""A real IMAP server for the calendar-reply tests: Debian's Dovecot, started by the test.

Each test module gets its own instance with a throwaway configuration, passwd file and
Maildir under a temporary folder, listening on a free loopback port without TLS. It is
installed by `make test` (`tests/install_dovecot.sh`); without it the tests skip with a hint,
except under CI=true, where they must run.
"""

from __future__ import annotations

import getpass
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imap_tools import AND, BaseMailBox, MailBoxUnencrypted
from pydantic import SecretStr

from birge_shared.settings import get_settings
from tests.ports import free_port
from tests.waiting import wait_until

DOVECOT = Path("/usr/sbin/dovecot")
INSTALL_HINT = "Install it with `bash tests/install_dovecot.sh` (apt-get install -y dovecot-imapd)."
USER = "replies"


def reply_mailbox(
    server: ImapServer, monkeypatch: pytest.MonkeyPatch, *, address: str
) -> ImapServer:
    """The server emptied and configured as the reply mailbox for one test."""
    server.empty()
    settings = get_settings()
    for name, value in {
        "calendar_reply_address": address,
        "calendar_reply_imap_host": server.host,
        "calendar_reply_imap_port": server.port,
        "calendar_reply_imap_user": server.user,
        "calendar_reply_imap_password": SecretStr(server.password),
        "calendar_reply_imap_tls": False,
        "calendar_reply_imap_folder": server.folder,
    }.items():
        monkeypatch.setattr(settings, name, value)
    return server


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"

    def mailbox(self) -> BaseMailBox:
        return MailBoxUnencrypted(self.host, self.port).login(
            self.user, self.password, initial_folder=self.folder
        )

    def append(self, *messages: bytes) -> None:
        """Put messages into the folder, unseen, as a mail server delivering them would."""
        with self.mailbox() as mailbox:
            for raw in messages:
                mailbox.append(raw, self.folder, flag_set=())

    def flags(self) -> list[tuple[str, ...]]:
        """Each message's flags (without the session's \\Recent), in the order they arrived."""
        with self.mailbox() as mailbox:
            return [
                tuple(sorted(flag for flag in message.flags if flag != "\\Recent"))
                for message in mailbox.fetch(mark_seen=False, headers_only=True)
            ]

    def empty(self) -> None:
        with self.mailbox() as mailbox:
            uids = [uid for uid in mailbox.uids(AND(all=True)) if uid]
            if uids:
                mailbox.delete(uids)


def _accounts() -> tuple[str, str, int, int]:
    """The users Dovecot runs as, and the uid/gid owning the mail.

    As root, Dovecot's own package users (it refuses mail access as uid 0); otherwise the
    user running the tests, for everything.
    """
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")
        return "dovecot", "dovenull", owner.pw_uid, owner.pw_gid
    me = getpass.getuser()
    return me, me, os.getuid(), os.getgid()


def _config(root: Path, port: int) -> str:
    internal, login, uid, gid = _accounts()
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            return connection.recv(64).startswith(b"* OK")
    except OSError:
        return False


@pytest.fixture(scope="module")
def dovecot() -> Iterator[ImapServer]:
    if not DOVECOT.exists():
        message = f"{DOVECOT} is missing. {INSTALL_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's temporary folders, which are private to the user running the tests:
    # Dovecot's own processes run as its package users and must reach the passwd file.
    root = Path(tempfile.mkdtemp(prefix="birge-dovecot-"))
    _internal, _login, uid, gid = _accounts()
    password = secrets.token_urlsafe(16)
    port = free_port()
    (root / "dovecot.conf").write_text(_config(root, port))
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{password}\n")
    (root / "home").mkdir()
    # The mail user must own its home; everyone must reach the folder to get there.
    os.chown(root / "home", uid, gid)
    root.chmod(0o755)
    (root / "passwd").chmod(0o644)
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own config
        [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:

        def ready() -> bool:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"dovecot ended at start-up: {output}")
            return _answers(port)

        wait_until(ready, what="dovecot answers on its port")
        yield ImapServer(host="127.0.0.1", port=port, user=USER, password=password)
    finally:
        process.terminate()
        process.wait(timeout=60)
        if process.stdout is not None:
            process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)
