"""The app as gunicorn serves it in the benchmark, plus the naive feed to compare with.

The naive endpoint does what a first version would: query, build every VEVENT with
icalendar, serialise, on every request, with no cache at all.
"""

from flask import Response, abort

from convene import create_app
from convene.calendar.feeds import FeedHeader, build_calendar
from convene.calendar.publishing import CALENDAR_TYPE
from convene.calendar.sources import FeedKind, FeedScope, events_for
from convene.calendar.subscriptions import find_subscription

app = create_app()


@app.get("/bench/naive/<token>.ics")
def naive_feed(token: str):
    subscription = find_subscription(token)
    if subscription is None:
        abort(404)
    scope = FeedScope(
        FeedKind.MEMBER,
        member_id=subscription.member_id,
        include_all_calls=subscription.include_all_calls,
        reminder_minutes=subscription.reminder.minutes,
        with_join_details=True,
    )
    header = FeedHeader(name="naive", uid="naive@convene")
    return Response(build_calendar(header, events_for(scope)).to_ical(), content_type=CALENDAR_TYPE)
