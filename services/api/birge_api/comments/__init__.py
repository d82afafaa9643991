"""Participants' free-text survey comments, read per event by coordinators and admins."""
