"""'Add to Google Calendar / Outlook' links for one event: no file to download."""

from datetime import UTC, date, timedelta
from urllib.parse import urlencode

from convene.calendar.events import FeedEvent

# The add links put the description in the URL: keep it to a length every browser accepts.
MAX_DETAILS = 1500


def _details(event: FeedEvent) -> str:
    text = event.description or ""
    return text if len(text) <= MAX_DETAILS else text[: MAX_DETAILS - 1] + "…"


def _day_after_end(event: FeedEvent) -> date:
    """The exclusive end of an all-day event (the last day a date can be, at most)."""
    return event.end_date + timedelta(days=1) if event.end_date < date.max else date.max


def google_calendar_url(event: FeedEvent) -> str:
    if event.is_all_day:
        end = _day_after_end(event)
        dates = f"{event.start_date:%Y%m%d}/{end:%Y%m%d}"
    else:
        start, end = (t.astimezone(UTC) for t in (event.starts_at, event.ends_at))
        dates = f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"
    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": _details(event),
        "location": event.location,
    }
    if event.zone and not event.is_all_day:
        params["ctz"] = event.zone
    return "https://calendar.google.com/calendar/render?" + urlencode(params)


def outlook_calendar_url(event: FeedEvent, office365: bool = False) -> str:
    """Outlook on the web (outlook.com, or Microsoft 365 work accounts)."""
    host = "outlook.office.com" if office365 else "outlook.live.com"
    if event.is_all_day:
        start = event.start_date.isoformat()
        end = _day_after_end(event).isoformat()
    else:
        start, end = (
            f"{t.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" for t in (event.starts_at, event.ends_at)
        )
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": start,
        "enddt": end,
        "allday": "true" if event.is_all_day else "false",
        "body": _details(event),
        "location": event.location,
    }
    return f"https://{host}/calendar/0/deeplink/compose?" + urlencode(params)
