"""The outbound pipeline's shared half: purposes, dedupe keys, channels and planning.

One path turns an invitation, a reminder, a survey step or a notice into `message` rows, one
per channel the person can be reached on; the workers' `birge_workers.outbound` sends every
channel through one lifecycle.
"""
