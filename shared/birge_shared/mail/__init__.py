"""E-mail: the calendar invitation messages Birge sends (built here, purely) and their planning.

Sending is the workers' job (`birge_workers.mail`); this package only says what a message is.
"""
