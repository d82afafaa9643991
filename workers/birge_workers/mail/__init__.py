"""Sending e-mail: an SMTP server (`SMTP_URL`), or `.eml` files under var/mail/ locally.

- `transport` hands one built message to SMTP (plain, STARTTLS or TLS) or to the folder, and
  says whether a failure is worth another try.
- `channel` is e-mail's part of the one outbound lifecycle (`birge_workers.outbound`): the
  message built from the event as it is now, and the record of its hand-over to SMTP.
"""
