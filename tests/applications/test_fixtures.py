"""The shared factories make rows the schema accepts."""

import sqlalchemy as sa

from convene.applications.models import Application, Reviewer
from convene.extensions import db


def test_factories_make_a_submitted_application_and_reviewers(make_application, make_reviewer):
    application = make_application(city="Dayton", state="OH", population=137_000)
    admin = make_reviewer("admin")
    partner = make_reviewer("partner")
    assert db.session.get(Application, application.id).city_label == "Dayton, OH"
    assert [a.name for a in application.areas] == ["311 data", "Open data"]
    members = set(db.session.scalars(sa.select(Reviewer.member_id)))
    assert members == {admin.id, partner.id}
    assert partner.organisation.is_partner
