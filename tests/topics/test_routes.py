import re

import pytest
from flask import render_template_string
from sqlalchemy import func, insert, select

from convene.accounts.models import Member
from convene.convenings.models import CallStatus
from convene.extensions import db
from convene.topics.models import Topic, TopicStatus, TopicVote
from convene.topics.scheduling import schedule_topic
from convene.topics.voting import vote_budget

JSON = {"Accept": "application/json"}


def topic_count() -> int:
    return db.session.scalar(select(func.count(Topic.id)))


def vote_count(topic) -> int:
    return db.session.scalar(select(func.count()).where(TopicVote.topic_id == topic.id))


def assert_no_inline_script_or_style(html: str):
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " onclick=" not in html


# --- the list ------------------------------------------------------------------------------


def test_topics_need_sign_in(client):
    response = client.get("/topics")
    assert response.status_code == 302 and "/sign-in" in response.location


def test_list_shows_support_and_a_bar(client_for, make_org, make_member, make_topic, add_votes):
    member = make_member()
    city = make_org("city")
    topic = make_topic("Open data policy")
    add_votes(topic, make_member(organisation=city), make_member(organisation=city))
    add_votes(topic, make_member("host"))
    html = client_for(member).get("/topics").get_data(as_text=True)
    assert "Open data policy" in html
    assert "1 city, 1 partner (3 votes)" in html
    assert '<meter min="0" max="2"' in html and 'value="2"' in html
    assert_no_inline_script_or_style(html)


def test_list_filters_by_status_and_words(client_for, make_member, make_topic):
    make_topic("Open data policy")
    make_topic("Smart sensors", status=TopicStatus.DECLINED, decline_reason="Out of scope")
    client = client_for(make_member())
    assert "Smart sensors" not in client.get("/topics").get_data(as_text=True)
    declined = client.get("/topics?status=declined").get_data(as_text=True)
    assert "Smart sensors" in declined and "Open data policy" not in declined
    found = client.get("/topics?status=all&q=policy").get_data(as_text=True)
    assert "Open data policy" in found and "Smart sensors" not in found


def test_list_runs_the_same_queries_for_10_and_1000_topics(
    client_for, make_member, make_topic, make_call, count_queries
):
    member = make_member()
    voters = [make_member() for _ in range(3)]
    client = client_for(member)

    def add_topics(n: int):
        proposer_id = voters[0].id
        db.session.execute(
            insert(Topic),
            [
                {"title": f"Topic {i}", "proposer_id": proposer_id, "status": "open"}
                for i in range(n)
            ],
        )
        ids = db.session.scalars(select(Topic.id).order_by(Topic.id)).all()
        db.session.execute(
            insert(TopicVote),
            [{"topic_id": t, "member_id": v.id} for t in ids[-n:] for v in voters[: 1 + t % 3]],
        )
        db.session.commit()

    scheduled = make_topic("On a call")
    schedule_topic(scheduled, make_call())
    db.session.commit()
    add_topics(10)
    with count_queries() as small:
        assert client.get("/topics?status=all").status_code == 200
    add_topics(990)
    with count_queries() as large:
        response = client.get("/topics?status=all")
    assert response.get_data(as_text=True).count('class="card topic-card"') == 1001
    assert large.count == small.count
    assert small.count <= 10


# --- proposing -----------------------------------------------------------------------------


def test_propose_a_topic(client_for, make_member):
    member = make_member()
    response = client_for(member).post(
        "/topics/new",
        data={
            "title": "Evaluating a programme with a randomised trial",
            "description": "How to <script>alert(1)</script> **randomise**",
            "will_share_experience": "y",
        },
    )
    topic = db.session.scalar(select(Topic))
    assert response.status_code == 302 and response.location.endswith(f"/topics/{topic.id}")
    assert topic.proposer_id == member.id and topic.will_share_experience
    html = client_for(member).get(f"/topics/{topic.id}").get_data(as_text=True)
    assert "<strong>randomise</strong>" in html and "<script>alert" not in html
    assert "can share its experience" in html


@pytest.mark.parametrize(
    ("title", "message"), [("", "Give the topic a title."), ("x" * 500, "between 3 and 150")]
)
def test_bad_titles_get_a_message_and_nothing_changes(client_for, make_member, title, message):
    response = client_for(make_member()).post("/topics/new", data={"title": title})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert topic_count() == 0


def test_a_close_title_shows_similar_topics_before_proposing(client_for, make_member, make_topic):
    existing = make_topic("Open-data policies")
    client = client_for(make_member())
    response = client.post("/topics/new", data={"title": "open data policy"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Similar topics exist" in html
    assert f"/topics/{existing.id}" in html and "Propose it anyway" in html
    assert topic_count() == 1
    response = client.post("/topics/new", data={"title": "open data policy", "propose_anyway": "y"})
    assert response.status_code == 302 and topic_count() == 2


def test_similar_titles_as_json(client_for, make_member, make_topic):
    existing = make_topic("Open-data policies")
    make_topic("Procurement for results")
    response = client_for(make_member()).get("/topics/similar?title=open data policy")
    assert response.json["matches"] == [
        {
            "id": existing.id,
            "title": "Open-data policies",
            "status": "open",
            "score": 1.0,
            "url": f"/topics/{existing.id}",
        }
    ]


def test_proposer_edits_until_scheduled(client_for, make_member, make_topic, make_call):
    proposer = make_member()
    topic = make_topic("Open data", proposer=proposer)
    client = client_for(proposer)
    assert client_for(make_member()).get(f"/topics/{topic.id}/edit").status_code == 403
    response = client.post(f"/topics/{topic.id}/edit", data={"title": "Open data policy"})
    assert response.status_code == 302 and topic.title == "Open data policy"
    schedule_topic(topic, make_call())
    db.session.commit()
    assert client.get(f"/topics/{topic.id}/edit").status_code == 403


# --- voting --------------------------------------------------------------------------------


def test_vote_without_javascript_is_idempotent(client_for, make_member, make_topic):
    member, topic = make_member(), make_topic("Open data policy")
    client = client_for(member)
    for _ in range(2):
        response = client.post(
            f"/topics/{topic.id}/vote", data={"support": "yes", "next": "/topics"}
        )
        assert response.status_code == 302 and response.location == "/topics"
    assert vote_count(topic) == 1
    page = client.get("/topics").get_data(as_text=True)
    assert "Withdraw support" in page and "1 city, 0 partners (1 vote)" in page
    for _ in range(2):
        client.post(f"/topics/{topic.id}/vote", data={"support": "no"})
    assert vote_count(topic) == 0


def test_vote_with_javascript_answers_json(client_for, make_member, make_topic):
    member, topic = make_member(), make_topic("Open data policy")
    response = client_for(member).post(
        f"/topics/{topic.id}/vote", data={"support": "yes"}, headers=JSON
    )
    assert response.status_code == 200
    assert response.json["supported"] is True and response.json["used"] == 1
    assert response.json["support"]["label"] == "1 city, 0 partners (1 vote)"
    assert response.json["budget"] == vote_budget() == 5


def test_vote_on_a_merged_topic_is_refused(client_for, make_member, make_topic):
    survivor = make_topic("Open data policy")
    merged = make_topic("Open-data policies", status=TopicStatus.MERGED, merged_into=survivor)
    client = client_for(make_member())
    response = client.post(f"/topics/{merged.id}/vote", data={"support": "yes"}, headers=JSON)
    assert response.status_code == 409
    assert "merged into “Open data policy”" in response.json["message"]
    response = client.post(f"/topics/{merged.id}/vote", data={"support": "yes"})
    assert response.status_code == 302
    assert "merged into" in client.get(response.location).get_data(as_text=True)
    assert vote_count(merged) == vote_count(survivor) == 0


def test_vote_needs_a_clear_request(client_for, make_member, make_topic):
    topic = make_topic()
    response = client_for(make_member()).post(
        f"/topics/{topic.id}/vote", data={"support": "toggle"}, headers=JSON
    )
    assert response.status_code == 400 and vote_count(topic) == 0


def test_a_deactivated_member_cannot_vote(client_for, make_member, make_topic):
    member, topic = make_member(), make_topic()
    member.active = False
    db.session.commit()
    response = client_for(member).post(f"/topics/{topic.id}/vote", data={"support": "yes"})
    assert response.status_code == 302 and "/sign-in" in response.location
    assert vote_count(topic) == 0


def test_the_budget_shows_a_clear_message(client_for, make_member, make_topic):
    member = make_member()
    topics = [make_topic() for _ in range(6)]
    client = client_for(member)
    for topic in topics[:5]:
        client.post(f"/topics/{topic.id}/vote", data={"support": "yes"})
    response = client.post(f"/topics/{topics[5].id}/vote", data={"support": "yes"}, headers=JSON)
    assert response.status_code == 409 and "used all 5" in response.json["message"]
    assert vote_count(topics[5]) == 0


# --- declining, merging, settings ----------------------------------------------------------


def test_hosts_decline_with_a_reason(client_for, make_member, make_topic):
    topic = make_topic()
    assert client_for(make_member()).post(f"/topics/{topic.id}/decline").status_code == 403
    host = client_for(make_member("host"))
    host.post(f"/topics/{topic.id}/decline", data={"reason": ""})
    assert topic.status == TopicStatus.OPEN
    host.post(f"/topics/{topic.id}/decline", data={"reason": "Covered at the summit"})
    db.session.refresh(topic)
    assert topic.status == TopicStatus.DECLINED
    html = host.get(f"/topics/{topic.id}").get_data(as_text=True)
    assert "Declined: Covered at the summit" in html


def test_admins_merge_duplicates(client_for, make_member, make_topic, add_votes):
    survivor, duplicate = make_topic("Open data policy"), make_topic("Open-data policies")
    add_votes(duplicate, make_member())
    assert (
        client_for(make_member("host"))
        .post(f"/topics/{duplicate.id}/merge", data={"into": survivor.id})
        .status_code
        == 403
    )
    admin = client_for(make_member("admin"))
    page = admin.get(f"/topics/{duplicate.id}").get_data(as_text=True)
    assert "Merge a duplicate" in page
    response = admin.post(f"/topics/{duplicate.id}/merge", data={"into": survivor.id})
    assert response.location.endswith(f"/topics/{survivor.id}")
    assert vote_count(survivor) == 1
    assert db.session.get(Topic, duplicate.id).status == TopicStatus.MERGED
    shown = admin.get(response.location).get_data(as_text=True)
    assert "Merged: 1 vote moved to this topic." in shown and "1 votes" not in shown


def test_admins_set_the_vote_budget(client_for, make_member, make_topic):
    assert client_for(make_member()).get("/topics/settings").status_code == 403
    admin = client_for(make_member("admin"))
    response = admin.post("/topics/settings", data={"vote_budget": "0"})
    assert response.status_code == 200 and vote_budget() == 5
    admin.post("/topics/settings", data={"vote_budget": "3"})
    assert vote_budget() == 3
    saved = admin.post("/topics/settings", data={"vote_budget": "1"}, follow_redirects=True)
    assert "Each member now has 1 open vote." in saved.get_data(as_text=True)
    for page in ("/topics", f"/topics/{make_topic('Open budgets').id}"):
        html = admin.get(page).get_data(as_text=True)
        assert "of your 1 open vote." in html and "1 open votes" not in html


# --- the host's choice ---------------------------------------------------------------------


def test_host_chooses_a_topic_for_their_call(
    client_for, make_org, make_member, make_topic, make_call
):
    partner = make_org("partner")
    host = make_member("host", organisation=partner)
    call = make_call(host=partner)
    top, other = make_topic("Open data policy"), make_topic("Procurement for results")
    db.session.add(TopicVote(topic_id=top.id, member_id=make_member().id))
    db.session.commit()
    assert client_for(make_member("host")).get(f"/calls/{call.id}/topic").status_code == 403
    assert client_for(make_member()).get(f"/calls/{call.id}/topic").status_code == 403
    client = client_for(host)
    html = client.get(f"/calls/{call.id}/topic").get_data(as_text=True)
    assert html.index("Open data policy") < html.index("Procurement for results")
    assert_no_inline_script_or_style(html)
    response = client.post(f"/calls/{call.id}/topic", data={"topic_id": other.id})
    assert response.status_code == 302
    db.session.refresh(call)
    assert call.title == "Procurement for results"
    assert db.session.get(Topic, other.id).status == TopicStatus.SCHEDULED
    html = client.get(f"/topics/{other.id}").get_data(as_text=True)
    assert "On the call" in html
    client.post(f"/calls/{call.id}/topic/unschedule")
    db.session.refresh(call)
    assert call.title is None and db.session.get(Topic, other.id).status == TopicStatus.OPEN


def test_choosing_a_missing_topic_changes_nothing(client_for, make_org, make_member, make_call):
    partner = make_org("partner")
    call = make_call(host=partner)
    client = client_for(make_member("host", organisation=partner))
    response = client.post(f"/calls/{call.id}/topic", data={"topic_id": 999})
    assert "That topic does not exist." in response.get_data(as_text=True)
    db.session.refresh(call)
    assert call.title is None and call.revision == 0


def test_held_topic_shows_the_calls_notes(client_for, make_member, make_topic, make_call, app):
    call = make_call()
    topic = make_topic("Open data policy")
    schedule_topic(topic, call)
    call.notes = "We shared **three** ordinances."
    db.session.commit()
    call.status = CallStatus.HELD
    db.session.commit()
    html = client_for(make_member()).get(f"/topics/{topic.id}").get_data(as_text=True)
    assert "Held on the call" in html
    if "convenings.call" in app.view_functions:
        assert f"/calls/{call.id}" in html
    else:
        assert "<strong>three</strong>" in html


def test_call_topic_include_for_the_call_page(app, make_org, make_member, make_topic, make_call):
    partner = make_org("partner")
    call = make_call(host=partner)
    topic = make_topic("Open data policy")
    schedule_topic(topic, call)
    db.session.commit()
    host = make_member("host", organisation=partner)
    with app.test_request_context():
        from flask_login import login_user

        login_user(db.session.get(Member, host.id))
        html = render_template_string('{% include "topics/_call_topic.html" %}', call=call)
    assert f'href="/topics/{topic.id}">Open data policy</a>' in html
    assert f"/calls/{call.id}/topic" in html and "Change the topic" in html


def test_vote_redirect_stays_on_this_site(client_for, make_member, make_topic):
    topic = make_topic()
    response = client_for(make_member()).post(
        f"/topics/{topic.id}/vote", data={"support": "yes", "next": "//evil.example/"}
    )
    assert response.location == f"/topics/{topic.id}"
