"""The Telegram bot's provider module and the worker's side of answered buttons."""
