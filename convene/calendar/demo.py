"""Demo: the demo accounts already have a personal feed, with a reminder an hour before."""

import sqlalchemy as sa

from convene.accounts.models import Member
from convene.calendar.models import Reminder
from convene.calendar.subscriptions import subscription_for
from convene.extensions import db


def load(rng) -> None:
    members = db.session.scalars(
        sa.select(Member).where(Member.email.like("%@demo.convene.test")).order_by(Member.id)
    )
    for member in members:
        subscription = subscription_for(member)
        subscription.reminder = Reminder.ONE_HOUR
