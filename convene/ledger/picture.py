"""The network picture: cities as nodes, ties as edges as thick as they are strong.

The layout is networkx's spring layout weighted by tie strength, so strongly tied cities sit
close together; its seed is fixed, so the same ledger always draws the same picture. The
page renders it as SVG on the server (templates/ledger/_picture.html), with a table of the
same ties beside it for screen readers.

Only the strongest MAX_EDGES ties are drawn (and fewer than MAX_NODES cities), so a network
ten times the demo's size still reads as a picture and lays out in well under a second; the
table says when ties were left out, and each city's page lists all of its own.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from convene.accounts.models import Organisation
from convene.ledger.ties import Pair, Tie, strongest

SEED = 2016
MAX_EDGES = 400
MAX_NODES = 499  # networkx lays out 500 nodes and more with scipy, which Convene does not need
WIDTH, HEIGHT, MARGIN = 640, 480, 56
LABEL_NODES = 60  # above this many cities, names are in each node's title only


@dataclass(frozen=True)
class Node:
    city: Organisation
    x: float
    y: float
    r: float
    ties: int
    strength: float

    @property
    def label_anchor(self) -> str:
        return "end" if self.x > WIDTH / 2 else "start"

    @property
    def label_x(self) -> float:
        return round(self.x - self.r - 3 if self.x > WIDTH / 2 else self.x + self.r + 3, 1)


@dataclass(frozen=True)
class Edge:
    tie: Tie
    one: Node
    other: Node
    width: float


@dataclass
class Picture:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]  # strongest first, as the table lists them
    total_ties: int
    show_labels: bool

    @property
    def is_partial(self) -> bool:
        return len(self.edges) < self.total_ties


def drawn_ties(ties: Iterable[Tie]) -> list[Tie]:
    """The strongest ties, as many as the picture holds."""
    chosen, cities = [], set()
    for tie in strongest(t for t in ties if t.strength > 0):
        if len(chosen) >= MAX_EDGES:
            break
        if len(cities | tie.cities) > MAX_NODES:
            continue
        chosen.append(tie)
        cities |= tie.cities
    return chosen


def layout(ties: list[Tie]) -> dict[int, tuple[float, float]]:
    """Positions in the picture's box, the same for the same ties."""
    graph = nx.Graph()
    graph.add_nodes_from(sorted({c for t in ties for c in t.cities}))
    for tie in sorted(ties, key=lambda t: sorted(t.cities)):
        one, other = sorted(tie.cities)
        graph.add_edge(one, other, weight=tie.strength)
    if not graph:
        return {}
    if len(graph) == 1:
        return {next(iter(graph)): (WIDTH / 2, HEIGHT / 2)}
    raw = nx.spring_layout(graph, weight="weight", seed=SEED, iterations=80)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    return {
        node: (
            round(MARGIN + (float(p[0]) - min(xs)) / span_x * (WIDTH - 2 * MARGIN), 1),
            round(MARGIN / 2 + (float(p[1]) - min(ys)) / span_y * (HEIGHT - MARGIN), 1),
        )
        for node, p in raw.items()
    }


def network_picture(ties: Mapping[Pair, Tie], cities: Iterable[Organisation]) -> Picture:
    by_id = {c.id: c for c in cities}
    chosen = [t for t in drawn_ties(ties.values()) if t.cities <= by_id.keys()]
    positions = layout(chosen)
    top = max((t.strength for t in chosen), default=1.0)
    count: dict[int, int] = {}
    total: dict[int, float] = {}
    for tie in chosen:
        for c in tie.cities:
            count[c] = count.get(c, 0) + 1
            total[c] = total.get(c, 0.0) + tie.strength
    busiest = max(total.values(), default=1.0)
    nodes = {
        c: Node(
            city=by_id[c],
            x=x,
            y=y,
            r=round(4 + 6 * total[c] / busiest, 1),
            ties=count[c],
            strength=total[c],
        )
        for c, (x, y) in positions.items()
    }
    edges = []
    for tie in chosen:
        one, other = sorted(tie.cities, key=lambda c: by_id[c].name)
        edges.append(
            Edge(
                tie=tie,
                one=nodes[one],
                other=nodes[other],
                width=round(0.5 + 5.5 * tie.strength / top, 2),
            )
        )
    return Picture(
        width=WIDTH,
        height=HEIGHT,
        nodes=sorted(nodes.values(), key=lambda n: n.city.name),
        edges=edges,
        total_ties=sum(1 for t in ties.values() if t.strength > 0),
        show_labels=len(nodes) <= LABEL_NODES,
    )
