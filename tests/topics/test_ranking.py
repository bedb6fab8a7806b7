from datetime import timedelta

from convene.extensions import db
from convene.topics.models import TopicStatus
from convene.topics.ranking import (
    Support,
    ranked_topics,
    support_for,
    supporting_organisations,
)
from convene.types import utcnow


def test_one_city_one_voice(make_org, make_member, make_topic, add_votes):
    big = make_org("city", name="Big City")
    delegation = [make_member(organisation=big) for _ in range(5)]
    crowded = make_topic("Crowded by one city")
    broad = make_topic("Broad support")
    add_votes(crowded, *delegation)
    add_votes(broad, make_member(), make_member())
    ranked = ranked_topics()
    assert [r.topic.title for r in ranked] == ["Broad support", "Crowded by one city"]
    assert ranked[0].support == Support(organisations=2, cities=2, partners=0, votes=2)
    assert ranked[1].support == Support(organisations=1, cities=1, partners=0, votes=5)


def test_ties_go_to_votes_then_to_the_oldest(make_org, make_member, make_topic, add_votes):
    city_a, city_b = make_org("city"), make_org("city")
    now = utcnow()
    older = make_topic("Older", created_at=now - timedelta(days=3))
    newer = make_topic("Newer", created_at=now - timedelta(days=1))
    more_votes = make_topic("More votes", created_at=now)
    add_votes(older, make_member(organisation=city_a))
    add_votes(newer, make_member(organisation=city_b))
    add_votes(more_votes, *[make_member(organisation=city_a) for _ in range(2)])
    assert [r.topic.title for r in ranked_topics()] == ["More votes", "Older", "Newer"]


def test_label_counts_cities_partners_and_votes(make_org, make_member, make_topic, add_votes):
    topic = make_topic()
    partner = make_org("partner")
    city = make_org("city")
    add_votes(
        topic,
        make_member(organisation=city),
        make_member(organisation=city),
        make_member(),
        make_member("host", organisation=partner),
    )
    support = support_for([topic.id])[topic.id]
    assert support.label == "2 cities, 1 partner (4 votes)"
    assert Support().label == "0 cities, 0 partners (0 votes)"


def test_deactivated_members_do_not_count(make_member, make_topic, add_votes):
    topic = make_topic()
    gone = make_member()
    add_votes(topic, gone, make_member())
    gone.active = False
    db.session.commit()
    assert support_for([topic.id])[topic.id].votes == 1
    assert gone.organisation not in supporting_organisations(topic.id)


def test_filters_by_status_and_words(make_topic):
    make_topic("Open data policy", description="Ordinances and orders")
    make_topic("Procurement for results", status=TopicStatus.DECLINED, decline_reason="No")
    make_topic("Performance dashboards")
    assert {r.topic.title for r in ranked_topics()} == {
        "Open data policy",
        "Performance dashboards",
    }
    assert [r.topic.title for r in ranked_topics((TopicStatus.DECLINED,))] == [
        "Procurement for results"
    ]
    assert [r.topic.title for r in ranked_topics(None, "ORDINANCES")] == ["Open data policy"]
    assert [r.topic.title for r in ranked_topics(None, "data policy")] == ["Open data policy"]
    assert ranked_topics(None, "data zebra") == []
