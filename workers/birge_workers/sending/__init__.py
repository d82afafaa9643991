"""Sending invitations by SMS: fan-out, exactly-once sends, pacing, quiet hours, retries.

- `fanout` plans one message per planned invitation of a batch and queues them in chunks.
- `send` sends one chunk: each message is claimed in a short transaction, paced, handed to the
  provider outside any transaction, and its receipt or error recorded in another.
- `release` re-queues planned messages whose wait (quiet hours, retry backoff) is over, and
  messages whose queueing was lost.
- `sweeper` settles messages left in flight by a worker that died or a call that timed out,
  by asking the provider what it has, never by sending again blindly.
- `pacing` keeps every worker process together under the provider's send rate.
- `quiet_hours` says when a message may reach a phone in the event city's local time.
"""
