"""Attendance: the coordinator's bulk marking, and participants checking in with the code."""
