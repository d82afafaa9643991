"""The embedded broker (`filesystem://`) with messages that appear whole.

kombu's filesystem transport creates a message's file in the queue folder and then writes it;
a consumer that lists the folder in between takes an empty file, cannot parse it, and the
worker stops with the message lost. Here a message is written in a staging folder beside the
queue and renamed into it once complete: a rename within one file system is atomic, so a
consumer sees a whole message or none.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # The signature of kombu's filesystem channel, which differs from its abstract one.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        # kombu's own name (its consumers sort by it: the time first, in milliseconds).
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        descriptor, staged_name = tempfile.mkstemp(
            dir=self.transport_options["staging_folder"], suffix=".part"
        )
        staged = Path(staged_name)
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
            staged.replace(Path(self.data_folder_out) / name)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise


class Transport(filesystem.Transport):
    Channel = Channel


#: What Celery's `broker_transport` names for `filesystem://`.
TRANSPORT = f"{__name__}:Transport"
