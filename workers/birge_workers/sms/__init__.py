"""Sending SMS: one small Protocol, with Twilio, a local simulator and an in-memory fake behind it.

`factory.provider_from_settings` picks the implementation; nothing else should construct one
from settings, so swapping the provider stays a configuration change.
"""
