"""SMS whose text a coordinator wrote: stored (encrypted) when made, sent as written.

Every other SMS is rendered from its purpose's template when a worker claims it; these have
no template, so the sender takes the stored body instead of rendering one.
"""

from __future__ import annotations

#: A coordinator's answer to one person who wrote to Birge (from the inbox).
COORDINATOR_REPLY = "coordinator_reply"

FREE_TEXT_PURPOSES = frozenset({COORDINATOR_REPLY})
