"""A person's breakout room in words, the same on the call's page, in mail, reminders and
calendar feeds: "Room 3, with Ana Ortiz (Mesa), Ben Li (Tulsa)"."""

from convene.accounts.models import Member
from convene.breakouts.models import BreakoutRoom


def person(member: Member) -> str:
    """ "Ana Ortiz (Mesa)": who they are and where they are from."""
    organisation = member.organisation
    return f"{member.name} ({organisation.name})" if organisation is not None else member.name


def roommates(people: list[Member]) -> str:
    return ", ".join(person(m) for m in people)


def room_line(room: BreakoutRoom, people: list[Member]) -> str:
    """ "Room 3, with A (Mesa), B (Tulsa)", or "Room 3 (nobody else is placed there yet)"."""
    if not people:
        return f"{room.name} (nobody else is placed there yet)"
    return f"{room.name}, with {roommates(people)}"
