"""The network picture: valid SVG, a node per tied city, an edge and a table row per tie, the
same drawing every time, and a box that fits a phone."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from convene.ledger import picture as picture_module
from convene.ledger.picture import MAX_EDGES, layout, network_picture
from convene.ledger.sources import Kind
from convene.ledger.ties import Tie, cities, network_ties
from tests.ledger.conftest import PAST

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def network(make_city, make_member, held_call, make_ledger_summit, seat, make_visit):
    names = ["Mesa", "Tulsa", "Boise", "Lincoln", "Tempe", "Lone & Co"]
    orgs = {n: make_city(n, slug=n.split()[0].lower()) for n in names}
    people = {n: make_member(organisation=o) for n, o in orgs.items()}
    held_call([people[n] for n in ("Mesa", "Tulsa", "Boise")])
    held_call([people[n] for n in ("Mesa", "Tempe")], starts_at=PAST + timedelta(days=14))
    seat(make_ledger_summit(), [[people["Lincoln"], people["Tulsa"]]])
    make_visit(orgs["Boise"], [orgs["Mesa"]], status="held")
    return orgs


def svg_of(html: str) -> ET.Element:
    start = html.index("<svg")
    return ET.fromstring(html[start : html.index("</svg>", start) + len("</svg>")])


def test_the_picture_is_valid_svg_with_a_node_per_city_and_an_edge_and_row_per_tie(
    client_for, make_member, network
):
    html = client_for(make_member("admin")).get("/network").get_data(as_text=True)
    svg = svg_of(html)
    assert svg.get("role") == "img"
    labelled = svg.get("aria-labelledby").split()
    assert {e.get("id") for e in svg.iter() if e.get("id")} >= set(labelled)
    assert svg.get("width") == "100%" and svg.get("viewBox") == "0 0 640 480"
    nodes = svg.findall(f"{SVG}g[@class='cities']/{SVG}g")
    edges = svg.findall(f"{SVG}g[@class='ties']/{SVG}line")
    # Mesa-Tulsa, Mesa-Boise, Tulsa-Boise, Mesa-Tempe, Lincoln-Tulsa; "Lone & Co" met nobody.
    assert len(edges) == 5
    titles = sorted(n.find(f"{SVG}title").text for n in nodes)
    assert titles == [
        "Boise, NY: 2 ties",
        "Lincoln, NY: 1 tie",
        "Mesa, NY: 3 ties",
        "Tempe, NY: 1 tie",
        "Tulsa, NY: 3 ties",
    ]
    assert all(e.find(f"{SVG}title").text for e in edges)
    assert "Boise, NY and Mesa, NY: strength 9 (1 visit, 1 call)" in [
        e.find(f"{SVG}title").text for e in edges
    ]
    # The strongest tie is drawn thickest.
    widths = {e.find(f"{SVG}title").text.split(":")[0]: float(e.get("stroke-width")) for e in edges}
    assert max(widths, key=widths.get) == "Boise, NY and Mesa, NY"
    table = html[html.index("<table") : html.index("</table>")]
    rows = re.findall(r"<tr>\s*<th scope=\"row\">", table)
    assert len(rows) == len(edges)
    assert "Lone &amp; Co" in html  # in the list of cities, escaped


def test_the_same_ties_draw_the_same_picture(app, network):
    ties = network_ties("UTC")
    everyone = cities()
    first, second = network_picture(ties, everyone), network_picture(ties, everyone)
    assert [(n.city.id, n.x, n.y, n.r) for n in first.nodes] == [
        (n.city.id, n.x, n.y, n.r) for n in second.nodes
    ]
    reversed_ties = dict(reversed(list(ties.items())))
    assert layout(list(reversed_ties.values())) == layout(list(ties.values()))


def test_every_node_lies_inside_the_box(app, network):
    drawn = network_picture(network_ties("UTC"), cities())
    for node in drawn.nodes:
        assert node.r <= node.x <= drawn.width - node.r
        assert node.r <= node.y <= drawn.height - node.r


def test_a_large_network_draws_its_strongest_ties_and_says_so(monkeypatch, app):
    ties = {
        frozenset((a, b)): Tie(cities=frozenset((a, b))).add(Kind.CALL, 1 + (a + b) % 4)
        for a in range(1, 40)
        for b in range(a + 1, 40)
    }

    class City:
        def __init__(self, n):
            self.id, self.name, self.label, self.slug = n, f"City {n}", f"City {n}", f"c{n}"

    drawn = network_picture(ties, [City(n) for n in range(1, 40)])
    assert len(ties) > MAX_EDGES and len(drawn.edges) == MAX_EDGES and drawn.is_partial
    assert min(e.tie.strength for e in drawn.edges) >= max(
        t.strength for t in ties.values() if t not in [e.tie for e in drawn.edges]
    )
    assert not drawn.show_labels or len(drawn.nodes) <= picture_module.LABEL_NODES
