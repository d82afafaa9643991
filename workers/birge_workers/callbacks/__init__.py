"""Acting on what the provider's webhooks recorded: delivery reports and inbound SMS replies.

The API only verifies and stores each webhook as a `ProviderCallback`; `process.py` applies one
stored callback in one transaction, `status.py` moves a sent message's status forward and
`replies.py` understands a participant's answer.
"""
