"""Which mail a member may turn down, and how they take it.

Essential mail (sign-in links, invitations, places gained or lost, cancellations) always
goes; it is queued with no topic. Everything else belongs to a topic the member chooses
for: at once, in a daily digest, or never. Optional mail and digests carry one-click
unsubscribe headers (RFC 8058) whose signed link turns that topic (or the digest) off.
"""

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import delete, select, update
from werkzeug.urls import iri_to_uri

from convene.convenings.conflicts import insert_unless_exists
from convene.extensions import db
from convene.notifications.models import DigestItem, MailChoice, MailPreference, MailTopic
from convene.types import utcnow
from convene.urls import external_url

__all__ = ["MailChoice", "MailTopic"]  # defined with the models, named here

TOPIC_LABELS = {
    MailTopic.RSVP_RECEIPTS: "RSVP receipts",
    MailTopic.TOPIC_NEWS: "Topic news",
    MailTopic.VOTE_UPDATES: "Vote updates",
    MailTopic.REMINDERS: "Reminders",
}

TOPIC_DESCRIPTIONS = {
    MailTopic.RSVP_RECEIPTS: "A note each time you answer a call's RSVP.",
    MailTopic.TOPIC_NEWS: "When a topic you proposed or voted for is scheduled, declined, "
    "merged or held, and when its call moves or is cancelled.",
    MailTopic.VOTE_UPDATES: "How the topics you voted for are doing.",
    MailTopic.REMINDERS: "Before each call you said yes or maybe to, and before your summit "
    "sessions and tables, with how to join and the calendar file.",
}

CHOICE_LABELS = {
    MailChoice.IMMEDIATELY: "As it happens",
    MailChoice.DIGEST: "In one daily digest",
    MailChoice.NEVER: "Never",
}

# The list a digest belongs to, in its unsubscribe link: every topic taken as a digest.
DIGEST_LIST = "digest"


def choices_offered(topic: MailTopic) -> list[MailChoice]:
    """A reminder held until the next digest could arrive after the call: no digest."""
    if topic == MailTopic.REMINDERS:
        return [MailChoice.IMMEDIATELY, MailChoice.NEVER]
    return list(MailChoice)


def choices_of(member_id: int) -> dict[MailTopic, MailChoice]:
    """Every topic's choice for a member (at once where they chose nothing)."""
    chosen = dict(
        db.session.execute(
            select(MailPreference.topic, MailPreference.choice).where(
                MailPreference.member_id == member_id
            )
        ).all()
    )
    return {topic: chosen.get(topic, MailChoice.IMMEDIATELY) for topic in MailTopic}


def choice_for(member_id: int, topic: MailTopic) -> MailChoice:
    choice = db.session.scalar(
        select(MailPreference.choice).where(
            MailPreference.member_id == member_id, MailPreference.topic == topic
        )
    )
    if choice is None or choice not in choices_offered(topic):
        return MailChoice.IMMEDIATELY
    return choice


def set_choice(member_id: int, topic: MailTopic, choice: MailChoice) -> None:
    """Record a choice (of two at once, the later wins). Never also drops what is held for
    the digest in that topic: the member asked to hear no more of it."""
    topic, choice = MailTopic(topic), MailChoice(choice)
    if choice not in choices_offered(topic):
        raise ValueError(f"{choice.value} is not offered for {topic.value}")
    values = {"member_id": member_id, "topic": topic, "choice": choice, "updated_at": utcnow()}
    if not insert_unless_exists(MailPreference, values, ["member_id", "topic"]):
        db.session.execute(
            update(MailPreference)
            .where(MailPreference.member_id == member_id, MailPreference.topic == topic)
            .values(choice=choice, updated_at=values["updated_at"])
        )
    if choice == MailChoice.NEVER:
        db.session.execute(
            delete(DigestItem).where(
                DigestItem.member_id == member_id,
                DigestItem.topic == topic,
                DigestItem.digest_id.is_(None),
            )
        )


def unsubscribe(member_id: int, mail_list: str) -> list[MailTopic]:
    """What a one-click unsubscribe does: that topic to never, or for a digest, every topic
    the member takes as a digest. Returns the topics turned off."""
    if mail_list == DIGEST_LIST:
        topics = [t for t, c in choices_of(member_id).items() if c == MailChoice.DIGEST]
    else:
        topics = [MailTopic(mail_list)]
    for topic in topics:
        set_choice(member_id, topic, MailChoice.NEVER)
    return topics


# --- one-click unsubscribe links --------------------------------------------------------------

UNSUBSCRIBE_SALT = "convene.mail.unsubscribe"


def _serializer() -> URLSafeSerializer:
    # No timestamp: the link in an old message keeps working (it can only turn mail off).
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(member_id: int, mail_list: str) -> str:
    """A signed token naming the member and a MailTopic value or DIGEST_LIST."""
    return _serializer().dumps([int(member_id), str(mail_list)])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(member id, list) from a token this app signed; None for anything else."""
    try:
        member_id, mail_list = _serializer().loads(token)
    except (BadData, TypeError, ValueError):
        return None
    if not isinstance(member_id, int) or isinstance(member_id, bool):
        return None
    if mail_list != DIGEST_LIST and mail_list not in {t.value for t in MailTopic}:
        return None
    return member_id, mail_list


def unsubscribe_url(member_id: int, mail_list: str) -> str:
    """Absolute and ASCII (a header holds a URI, not an IRI)."""
    return iri_to_uri(
        external_url("notifications.unsubscribe", token=unsubscribe_token(member_id, mail_list))
    )


def unsubscribe_headers(message) -> dict[str, str]:
    """RFC 8058 headers for an outbox row: only optional mail and digests have them."""
    if message.member_id is None or (message.topic is None and not message.is_digest):
        return {}
    mail_list = DIGEST_LIST if message.is_digest else MailTopic(message.topic).value
    return {
        "List-Unsubscribe": verbatim(
            "List-Unsubscribe", f"<{unsubscribe_url(message.member_id, mail_list)}>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


class _Verbatim(str):
    """A header value the email package writes as it is, on one line.

    Its policy folds a long value with no spaces (a URL) into RFC 2047 encoded words, which
    no mail client reads as a URL; a header object with `fold` is written as it says.
    """

    name: str

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


VERBATIM_MAX = 900  # within RFC 5322's 998 characters a line, header name included


def verbatim(name: str, value: str) -> str:
    """`value` kept on one line if it is short ASCII without line breaks; else as it was
    (a BASE_URL beyond ASCII is then encoded rather than the mail made unsendable)."""
    if not value.isascii() or len(value) > VERBATIM_MAX or "\r" in value or "\n" in value:
        return value
    header = _Verbatim(value)
    header.name = name
    return header
