"""Surveys by SMS and the post-event survey's schedule.

- `conversation` asks the questions of one survey one SMS at a time and takes the numbers
  people reply with, keeping where each person is in a `SurveyConversation`.
- `due` sends the post-event survey to attendees after the event, and its one reminder.
- `tasks` is the periodic task's edge.
"""
