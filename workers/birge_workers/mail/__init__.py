"""Sending e-mail: an SMTP server (`SMTP_URL`), or `.eml` files under var/mail/ locally.

- `transport` hands one built message to SMTP (plain, STARTTLS or TLS) or to the folder, and
  says whether a failure is worth another try.
- `send` is `email.send`: each planned e-mail is claimed, sent once, and its outcome recorded.
"""
