"""The ledger's pages: the whole network (a picture and a table of ties) and one city's.

Members of every role see them: the ledger says which cities met at calls, summit tables,
social sessions and visits, not what was said there, and a visit's details stay on its own
page for its cities. Visitors who are not signed in are asked to sign in, like the topics:
the ledger is the network's own record of itself, not a public page.
"""

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from convene.accounts.models import Organisation, OrganisationKind, Role
from convene.accounts.permissions import role_required
from convene.extensions import db
from convene.ledger.picture import network_picture
from convene.ledger.ties import STRONG_TIE, WEIGHTS, cities, city_ledger, network_ties, strongest
from convene.zones import viewer_zone_name

bp = Blueprint("ledger", __name__)


@bp.get("/network")
@role_required(Role.MEMBER)
def network():
    zone_name = viewer_zone_name()
    everyone = cities()
    ties = network_ties(zone_name)
    picture = network_picture(ties, everyone)
    return render_template(
        "ledger/network.html",
        picture=picture,
        cities=everyone,
        names={c.id: c for c in everyone},
        tie_count=len(ties),
        weights=WEIGHTS,
        strong=STRONG_TIE,
        strongest=strongest,
    )


@bp.get("/network/cities/<slug>")
@role_required(Role.MEMBER)
def city(slug: str):
    organisation = db.session.scalar(
        select(Organisation).where(
            Organisation.slug == slug, Organisation.kind == OrganisationKind.CITY
        )
    )
    if organisation is None:
        abort(404)
    ledger = city_ledger(organisation, viewer_zone_name())
    return render_template("ledger/city.html", ledger=ledger, strong=STRONG_TIE)
