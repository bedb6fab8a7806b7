"""The record of actions: who changed what, when, on which object, and what it was before.

Each domain flow records its change here (`actions.record_action`); the notifications are
driven from these records (`convene.notifications.who_hears_what`), and admins read them as
each object's history (`wording`, `templates/history/`).
"""
