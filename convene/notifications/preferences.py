"""Which mail a member may turn down, and how they take it.

Essential mail (sign-in links, invitations, places gained or lost, cancellations) always
goes; it is queued with no topic. Everything else belongs to a topic the member chooses
for: at once, in a daily digest, or never.
"""

import enum


class MailTopic(enum.StrEnum):
    RSVP_RECEIPTS = "rsvp_receipts"
    TOPIC_NEWS = "topic_news"
    VOTE_UPDATES = "vote_updates"
