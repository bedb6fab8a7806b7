"""The feed endpoints: what each feed holds, HTTP caching, tokens, and the Subscribe page."""

from datetime import UTC, datetime, time, timedelta

from icalendar import Calendar
from sqlalchemy import event, select

from convene.calendar.freshness import stamp_engine
from convene.calendar.models import CalendarSubscription, Reminder
from convene.calendar.subscriptions import subscription_for
from convene.extensions import db
from convene.types import utcnow
from convene.zones import to_utc
from tests.calendar.conftest import cancel, icaljs, parse_all


def _token(member) -> str:
    token = subscription_for(member).token
    db.session.commit()
    return token


def _events(response):
    assert response.status_code == 200, response.status_code
    return parse_all(response.data)


def test_public_feed_lists_calls_without_join_details(client, make_call):
    call = make_call(title="Performance dashboards")
    response = client.get("/calendar/public.ics")
    assert response.content_type == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("public")
    (event,) = _events(response)
    assert event["uid"] == f"call-{call.id}@convene"
    assert event["summary"] == "Performance dashboards (GovEx Partner)"
    body = response.data.decode()
    assert "video.example.org" not in body and "4242" not in body
    assert "CONFERENCE" not in body
    assert "Hosted by GovEx Partner" in icaljs(response.data)["events"][0]["description"]


def test_personal_feed_holds_answered_calls_with_join_details(client, make_call, make_member, rsvp):
    member = make_member()
    yes, maybe, no, unanswered = (
        make_call(day=utcnow().date() + timedelta(days=d)) for d in (2, 3, 4, 5)
    )
    rsvp(yes, member, "yes")
    rsvp(maybe, member, "maybe")
    rsvp(no, member, "no")
    response = client.get(f"/calendar/me/{_token(member)}.ics")
    assert response.headers["Cache-Control"].startswith("private")
    uids = {e["uid"] for e in _events(response)}
    assert uids == {f"call-{yes.id}@convene", f"call-{maybe.id}@convene"}
    seen = icaljs(response.data)["events"][0]
    assert seen["conference"] == "https://video.example.org/j/123456"
    assert "Dial in: +1 555 0100, code 4242#" in seen["description"]


def test_member_chooses_all_calls_and_a_reminder(client_for, make_call, make_member):
    member = make_member()
    calls = [make_call(day=utcnow().date() + timedelta(days=d)) for d in (2, 3)]
    token = _token(member)
    response = client_for(member).post(
        "/calendar/subscribe/preferences", data={"calls": "all", "reminder": "1h"}
    )
    assert response.status_code == 302
    feed = client_for(member).get(f"/calendar/me/{token}.ics")
    assert {e["uid"] for e in _events(feed)} == {f"call-{c.id}@convene" for c in calls}
    assert [e["alarms"] for e in icaljs(feed.data)["events"]] == [["-PT1H"], ["-PT1H"]]


def test_bad_preferences_change_nothing(client_for, make_member):
    member = make_member()
    _token(member)
    response = client_for(member).post(
        "/calendar/subscribe/preferences", data={"calls": "everything", "reminder": "1w"}
    )
    assert response.status_code == 302
    subscription = db.session.scalar(select(CalendarSubscription))
    db.session.refresh(subscription)
    assert subscription.reminder == Reminder.NONE and not subscription.include_all_calls


def test_revoked_token_and_deactivated_member_get_404(client, client_for, make_member):
    member = make_member()
    old = _token(member)
    assert client.get(f"/calendar/me/{old}.ics").status_code == 200
    assert client_for(member).post("/calendar/subscribe/regenerate").status_code == 302
    new = db.session.scalar(select(CalendarSubscription.token))
    assert new != old and len(new) >= 43
    assert client.get(f"/calendar/me/{old}.ics").status_code == 404
    assert client.get(f"/calendar/me/{new}.ics").status_code == 200
    member.active = False
    db.session.commit()
    assert client.get(f"/calendar/me/{new}.ics").status_code == 404
    assert client.get("/calendar/me/not-a-token.ics").status_code == 404


def test_moved_call_keeps_its_uid_and_raises_sequence(client, make_call):
    call = make_call()
    (before,) = _events(client.get("/calendar/public.ics"))
    day = utcnow().date() + timedelta(days=10)
    call.starts_at = to_utc(day, time(15, 30), "America/Chicago")
    call.zone = "America/Chicago"
    call.bump_revision()
    db.session.commit()
    (after,) = _events(client.get("/calendar/public.ics"))
    assert after["uid"] == before["uid"]
    assert after["sequence"] == before["sequence"] + 1
    assert after["start"] == call.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_cancelled_call_stays_marked_for_thirty_days(client, make_call):
    past = make_call(day=utcnow().date() - timedelta(days=80))
    cancel(past)  # cancelled just now, though long past: still shown
    old = make_call(day=utcnow().date() - timedelta(days=75))
    (event,) = _events(client.get("/calendar/public.ics"))
    assert event["uid"] == f"call-{past.id}@convene"
    assert event["status"] == "CANCELLED"
    assert event["summary"].startswith("Cancelled: ")
    assert old.id  # a past call beyond the window is not in the feed


def test_partner_feed_and_unknown_feeds(client, make_call, make_org):
    call = make_call()
    other = make_org("partner", slug="sunlight")
    make_call(day=utcnow().date() + timedelta(days=9), host_organisation=other)
    (event,) = _events(client.get("/calendar/partners/govex.ics"))
    assert event["uid"] == f"call-{call.id}@convene"
    assert client.get("/calendar/partners/nobody.ics").status_code == 404
    city = make_org("city")
    assert client.get(f"/calendar/partners/{city.slug}.ics").status_code == 404
    assert client.get("/calendar/summits/1.ics").status_code == 404


def test_conditional_get_head_and_validators(client, make_call):
    call = make_call()
    first = client.get("/calendar/public.ics")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get("/calendar/public.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get(
        "/calendar/public.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 304
    head = client.head("/calendar/public.ics")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == etag
    assert int(head.headers["Content-Length"]) == len(first.data)
    call.title = "A new topic"
    call.bump_revision()
    db.session.commit()
    changed = client.get("/calendar/public.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_change_through_one_instance_shows_in_the_next_response_of_another(
    make_app, make_call, make_member, rsvp
):
    member = make_member()
    call = make_call()
    rsvp(call, member, "yes")
    token = _token(member)
    call_id = call.id
    one, two = make_app(), make_app()
    url = f"/calendar/me/{token}.ics"
    with two.app_context():
        before = two.test_client().get(url)
        assert _events(before)[0]["sequence"] == 0
    with one.app_context():
        from convene.convenings.models import Call

        moved = db.session.get(Call, call_id)
        moved.starts_at += timedelta(hours=2)
        moved.bump_revision()
        db.session.commit()
        db.session.remove()
    with two.app_context():
        after = two.test_client().get(url, headers={"If-None-Match": before.headers["ETag"]})
        assert after.status_code == 200
        assert _events(after)[0]["sequence"] == 1
    with one.app_context():
        from convene.accounts.models import Member

        db.session.get(Member, member.id).active = False
        db.session.commit()
        db.session.remove()
    with two.app_context():
        assert two.test_client().get(url).status_code == 404


def test_building_a_feed_runs_a_fixed_number_of_queries(
    app, client, make_call, make_member, rsvp, count_queries
):
    from convene.calendar.publishing import feed_cache

    member = make_member()
    token = _token(member)
    counts = []
    for n in (1, 30):
        for i in range(len(counts) * 1, n):
            rsvp(make_call(day=utcnow().date() + timedelta(days=i + 40 * len(counts))), member)
        for url in (
            f"/calendar/me/{token}.ics",
            "/calendar/public.ics",
            "/calendar/partners/govex.ics",
        ):
            feed_cache().clear()
            with count_queries() as q:
                assert client.get(url).status_code == 200
            counts.append((url, q.count))
    assert counts[:3] == [(u, c) for u, c in counts[3:]]
    # The stamps, then a query per source at most (calls, summit, visits, leadership meetings)
    assert max(c for _u, c in counts) <= 6
    # Unchanged: one read of the feed stamp answers it, on its own small pool.
    client.get("/calendar/public.ics")
    checkouts = []
    engine = stamp_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    listener = lambda *args: checkouts.append(args)  # noqa: E731
    event.listen(engine, "checkout", listener)
    try:
        with count_queries() as q:
            assert client.get("/calendar/public.ics").status_code == 200
    finally:
        event.remove(engine, "checkout", listener)
    assert q.count == 0, q.statements
    assert len(checkouts) == 1


def test_single_call_download(client, make_call):
    call = make_call(title="Open data")
    anonymous = client.get(f"/calendar/calls/{call.id}.ics")
    assert anonymous.headers["Content-Disposition"] == f'attachment; filename="call-{call.id}.ics"'
    calendar = Calendar.from_ical(anonymous.data)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = parse_all(anonymous.data)
    assert event["uid"] == f"call-{call.id}@convene"
    assert b"video.example.org" not in anonymous.data
    assert client.get("/calendar/calls/999999.ics").status_code == 404


def test_members_download_a_call_with_its_join_details(client_for, make_call, make_member):
    call = make_call()
    signed_in = client_for(make_member()).get(f"/calendar/calls/{call.id}.ics")
    assert b"CONFERENCE;FEATURE=VIDEO" in signed_in.data
    assert "Dial in: +1 555 0100" in icaljs(signed_in.data)["events"][0]["description"]


def test_subscribe_page_offers_webcal_https_and_instructions(client_for, make_member):
    member = make_member()
    page = client_for(member).get("/calendar/subscribe")
    assert page.status_code == 200
    token = db.session.scalar(select(CalendarSubscription.token))
    html = page.data.decode()
    assert f'href="webcal://convene.test/calendar/me/{token}.ics"' in html
    assert f'value="http://convene.test/calendar/me/{token}.ics"' in html
    for client_name in ("Google Calendar", "Outlook", "Apple Calendar"):
        assert client_name in html
    assert "every 8 to 24 hours" in html
    assert "style=" not in html and "<script>" not in html


def test_subscribe_needs_sign_in(client):
    assert client.get("/calendar/subscribe").status_code == 302
    assert client.post("/calendar/subscribe/regenerate").status_code == 302


def test_call_page_offers_the_download_and_add_links(client, make_call):
    call = make_call(title="Open budgets")
    html = client.get(f"/calls/{call.id}").data.decode()
    assert f'href="/calendar/calls/{call.id}.ics"' in html
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in html
    assert "text=Open+budgets" in html
    assert "outlook.live.com" in html
    assert "video.example.org" not in html  # anonymous: no join details in the links either


def test_head_and_304_answered_alike_before_and_after_caching(client, make_call, make_member):
    from convene.calendar.publishing import feed_cache

    member = make_member()
    make_call()
    url = f"/calendar/me/{_token(member)}.ics"
    feed_cache().clear()
    head = client.head(url)  # built by the view
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Cache-Control"] == "private, max-age=300"
    full = client.get(url)  # from the cache, before Flask dispatches
    assert full.headers["Content-Length"] == head.headers["Content-Length"]
    assert full.headers["ETag"] == head.headers["ETag"]
    feed_cache().clear()
    weak = client.get(url, headers={"If-None-Match": "W/" + full.headers["ETag"]})
    assert weak.status_code == 304 and weak.headers["ETag"] == full.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    for response in (head, full, weak):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_change_under_a_second_old_is_neither_cached_nor_dated(app, client, make_call):
    """Two changes in one second would share an HTTP date: If-Modified-Since must not
    answer 304 for the second, so a fresh change gets no Last-Modified until it settles."""
    from convene.calendar.feeds import FeedHeader, rendered
    from convene.calendar.publishing import last_modified_for

    app.config["CALENDAR_SETTLE_SECONDS"] = 1
    make_call()
    fresh = client.get("/calendar/public.ics")
    assert "Last-Modified" not in fresh.headers and fresh.headers["ETag"]
    again = client.get("/calendar/public.ics", headers={"If-None-Match": fresh.headers["ETag"]})
    assert again.status_code == 304

    feed = rendered(FeedHeader(name="x", uid="x@convene"), [])
    changed = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    assert last_modified_for(feed, changed, changed + timedelta(milliseconds=500)) is None
    settled = last_modified_for(feed, changed, changed + timedelta(seconds=2))
    assert settled == datetime(2026, 3, 1, 12, 0, 1, tzinfo=UTC)  # rounded up


def test_removing_an_event_moves_last_modified(client, make_call, make_member, rsvp):
    """An RSVP turned to no takes the call out of the feed though the call did not change:
    Last-Modified still moves on, so If-Modified-Since gets the new feed, not a 304."""
    from sqlalchemy import update

    from convene.calendar.models import FeedStamp
    from convene.convenings.models import Call

    member = make_member()
    call = make_call()
    answer = rsvp(call, member, "yes")
    url = f"/calendar/me/{_token(member)}.ics"
    earlier = utcnow() - timedelta(seconds=10)  # so that the removal is a later second
    db.session.execute(update(Call).values(updated_at=earlier))
    db.session.execute(update(CalendarSubscription).values(updated_at=earlier))
    db.session.commit()
    db.session.execute(update(FeedStamp).values(changed_at=earlier))
    db.session.commit()
    first = client.get(url)
    assert len(_events(first)) == 1
    answer.answer = "no"
    db.session.commit()
    later = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert later.status_code == 200 and _events(later) == []
