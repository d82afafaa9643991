"""Telling participants about their event: the e-mailed invitation, changes, cancellations.

- `invitations` adds the calendar invitation e-mail to an invitation being sent.
- `changes` is `events.changed`: an updated invitation and a short SMS after a change of
  title, venue or time.
- `cancellations` is the notice part of `events.cancelled`: a calendar cancellation and an SMS.

Messages are only planned here, in the caller's transaction, with dedupe keys that include the
event's calendar SEQUENCE, and queued through the outbox; `sms.send` and `email.send` render
them from the event as it is when they go out.
"""
