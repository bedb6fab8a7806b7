"""How often a feed poll is answered from the cache under a mixed load.

    .venv/bin/python bench/bench_feed_cache.py [--postgres URL] [--ops 2000] [--settle 0]
    .venv/bin/python bench/bench_feed_cache.py --root /tmp/before   # another checkout

Seeds a fresh database (a SQLite file, or a new PostgreSQL database): 5 partners hosting a
series of 26 calls, 50 subscribed members (40 with the calls they said yes or maybe to, 10
with every call) who answered a few calls each, 20 open topics, and a summit with an agenda
that half of them registered for. Then runs one fixed random sequence of operations through
the app in this process (the WSGI stack, fast path included), in this mix:

    40%  feed polls: one of the 50 personal feeds, the public feed, the 5 partners' feeds or
         the summit's, each client sending If-None-Match with the last ETag it got
    30%  page views by a signed-in member (calls, a call, topics, a topic, home)
    15%  RSVPs (yes, maybe or no to an upcoming call)
    10%  votes (support or withdraw)
     5%  sign-ins (email and password)

and reports, for the polls: how many were answered without building the feed (the hit
rate), the rebuilds, the 304s, and the mean and 95th percentile latency. `--root` runs the
same sequence against the code of another checkout (e.g. `git worktree add`), to compare.
`--settle 0` (the default) leaves the one-second settling of Last-Modified out, so that the
figures count invalidations alone; `--settle 1` is the production setting.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path

PASSWORD = "correct horse battery"
MIX = (("poll", 40), ("page", 30), ("rsvp", 15), ("vote", 10), ("sign_in", 5))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--postgres", help="server URL without a database name")
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--settle", type=float, default=0.0)
    return parser.parse_args()


def seed_network(db, rng):
    """The network; returns what the operations need, as plain ids and strings."""
    from convene.accounts.models import Member, Organisation, OrganisationKind, Role
    from convene.accounts.passwords import hash_password
    from convene.calendar.models import CalendarSubscription
    from convene.convenings.models import Call, Rsvp, RsvpAnswer, Series
    from convene.summit.models import (
        AgendaItem,
        AgendaKind,
        Registration,
        RegistrationStatus,
        Summit,
    )
    from convene.topics.models import Topic, TopicStatus
    from convene.zones import to_utc

    partners = [
        Organisation(kind=OrganisationKind.PARTNER, name=f"Partner {i}", slug=f"partner-{i}",
                     zone="America/New_York")
        for i in range(5)
    ]  # fmt: skip
    cities = [
        Organisation(kind=OrganisationKind.CITY, name=f"City {i}", slug=f"city-{i}", state="NY",
                     population=150_000 + i, zone="America/Chicago")
        for i in range(10)
    ]  # fmt: skip
    password_hash = hash_password(PASSWORD)
    members = [
        Member(email=f"person{i}@city-{i % 10}.example.org", name=f"Person {i}",
               organisation=cities[i % 10], role=Role.MEMBER, password_hash=password_hash)
        for i in range(50)
    ]  # fmt: skip
    today = datetime.now(UTC).date()
    series = Series(name="Network call", first_date=today, local_time=wall(13),
                    zone="America/New_York", video_url="https://video.example.org/j/1",
                    dial_in_number="+1 555 0100", dial_in_code="4242#")  # fmt: skip
    db.session.add_all([*partners, *cities, *members, series])
    db.session.flush()
    calls = []
    for i in range(26):
        day = today + timedelta(days=3 + 14 * i)
        calls.append(
            Call(series=series, slot_date=day, starts_at=to_utc(day, wall(13), "America/New_York"),
                 duration_minutes=60, zone="America/New_York", host_organisation=partners[i % 5],
                 title=f"Topic {i}: data and results", agenda="1. Welcome\n2. A city's case")
        )  # fmt: skip
    db.session.add_all(calls)
    db.session.flush()
    for member in members:
        for call in rng.sample(calls, 5):
            db.session.add(Rsvp(call=call, member=member, answer=RsvpAnswer.YES))
    topics = [
        Topic(title=f"Proposal {i}", description="What we would learn.", proposer=members[i],
              status=TopicStatus.OPEN)
        for i in range(20)
    ]  # fmt: skip
    summit = Summit(name="Network summit", slug="summit", starts_on=today + timedelta(days=120),
                    ends_on=today + timedelta(days=122), venue="Convene Hall",
                    address="1 Main Street, New York, NY", zone="America/New_York", capacity=200,
                    registration_opens_at=datetime.now(UTC) - timedelta(days=1),
                    registration_closes_at=datetime.now(UTC) + timedelta(days=60),
                    delegation_limit=5)  # fmt: skip
    db.session.add_all([*topics, summit])
    db.session.flush()
    start = datetime.combine(summit.starts_on, wall(14), UTC)
    for i in range(10):
        kind = AgendaKind.PLENARY if i % 3 == 0 else AgendaKind.BREAKOUT
        db.session.add(
            AgendaItem(summit=summit, kind=kind,
                       title=f"Session {i}", starts_at=start + timedelta(hours=i),
                       ends_at=start + timedelta(hours=i, minutes=50), room="Main hall",
                       is_public=i < 6)
        )  # fmt: skip
    for member in members[::2]:
        db.session.add(Registration(summit=summit, member=member,
                                    organisation_id=member.organisation_id,
                                    status=RegistrationStatus.CONFIRMED,
                                    registered_at=datetime.now(UTC)))  # fmt: skip
    tokens = []
    for i, member in enumerate(members):
        token = f"bench-{i:02d}-" + uuid.uuid4().hex
        db.session.add(CalendarSubscription(member=member, token=token, include_all_calls=i < 10))
        tokens.append(token)
    db.session.commit()
    feeds = [f"/calendar/me/{t}.ics" for t in tokens]
    feeds += ["/calendar/public.ics", *(f"/calendar/partners/{p.slug}.ics" for p in partners)]
    feeds.append(f"/calendar/summits/{summit.id}.ics")
    return {
        "members": [(m.id, m.email) for m in members],
        "calls": [c.id for c in calls],
        "topics": [t.id for t in topics],
        "feeds": feeds,
    }


def operations(rng, world, count):
    kinds = [k for k, _w in MIX]
    weights = [w for _k, w in MIX]
    pages = ["/", "/calls", "/topics"]
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        member = rng.randrange(len(world["members"]))
        if kind == "poll":
            yield kind, rng.choice(world["feeds"]), None, None
        elif kind == "page":
            path = rng.choice(
                pages
                + [f"/calls/{rng.choice(world['calls'])}", f"/topics/{rng.choice(world['topics'])}"]
            )
            yield kind, path, member, None
        elif kind == "rsvp":
            call = rng.choice(world["calls"][:10])
            yield (
                kind,
                f"/calls/{call}/rsvp",
                member,
                {"answer": rng.choice(["yes", "maybe", "no"])},
            )
        elif kind == "vote":
            topic = rng.choice(world["topics"])
            yield kind, f"/topics/{topic}/vote", member, {"support": rng.choice(["yes", "no"])}
        else:
            yield kind, "/sign-in", member, None


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    args = parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    os.environ["CONVENE_ENV"] = "testing"
    work = Path(tempfile.mkdtemp(prefix="convene-bench-cache-"))
    database = f"sqlite:///{work / 'bench.sqlite'}"
    admin = name = None
    if args.postgres:
        import psycopg

        name = f"convene_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg.connect(
            args.postgres.replace("postgresql+psycopg://", "postgresql://") + "/postgres",
            autocommit=True,
        )
        admin.execute(f'CREATE DATABASE "{name}"')
        database = f"{args.postgres}/{name}"
    os.environ["CONVENE_INSTANCE"] = str(work)
    try:
        run(args, root, database)
    finally:
        if admin is not None:
            time.sleep(0.5)
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        shutil.rmtree(work, ignore_errors=True)


def run(args, root: Path, database: str) -> None:
    from flask_login import FlaskLoginClient

    import convene
    from convene import create_app
    from convene.accounts.models import Member
    from convene.calendar import publishing
    from convene.extensions import db

    if not Path(convene.__file__).resolve().is_relative_to(root):
        sys.exit(f"convene was imported from {convene.__file__}, not from {root}")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_TRANSPORT": "console",
            "CALENDAR_SETTLE_SECONDS": args.settle,
            "BASE_URL": "https://convene.example.org",
        }
    )
    app.test_client_class = FlaskLoginClient
    rng = random.Random(args.seed)
    with app.app_context():
        db.create_all()
        world = seed_network(db, rng)
        db.session.remove()

    builds = 0
    build = publishing.rendered

    def counted(*a, **k):
        nonlocal builds
        builds += 1
        return build(*a, **k)

    publishing.rendered = counted
    anonymous = app.test_client()
    time.sleep(args.settle)  # the seeding settles, so that the warm-up below is cached
    etags: dict[str, str] = {}
    for url in world["feeds"]:  # every client subscribed before the load starts
        etags[url] = anonymous.get(url).headers["ETag"]
    builds = 0
    latency: dict[str, list[float]] = {kind: [] for kind, _w in MIX}
    polls = hits = not_modified = same_bytes = 0
    rebuilt: dict[str, int] = {}
    errors = []
    ops = list(operations(random.Random(args.seed + 1), world, args.ops))
    started = time.perf_counter()
    for kind, path, member, form in ops:
        t0 = time.perf_counter()
        if kind == "poll":
            before = builds
            response = anonymous.get(path, headers={"If-None-Match": etags[path]})
            polls += 1
            hits += builds == before
            if builds != before:
                feed = path.split("/")[2].replace(".ics", "").replace("me", "personal")
                rebuilt[feed] = rebuilt.get(feed, 0) + 1
            not_modified += response.status_code == 304
            same_bytes += builds != before and response.status_code == 304
            if response.status_code == 200:
                etags[path] = response.headers["ETag"]
        else:
            member_id, email = world["members"][member]
            if kind == "sign_in":
                client = app.test_client()
                response = client.post(path, data={"email": email, "password": PASSWORD})
            else:
                with app.app_context():
                    user = db.session.get(Member, member_id)
                    client = app.test_client(user=user)
                    db.session.remove()
                response = client.get(path) if form is None else client.post(path, data=form)
        latency[kind].append((time.perf_counter() - t0) * 1000)
        if response.status_code not in (200, 302, 304):
            errors.append((kind, path, response.status_code))
    elapsed = time.perf_counter() - started
    if errors:
        print(f"{len(errors)} unexpected answers, e.g. {errors[:3]}")

    with app.app_context():
        backend = db.engine.dialect.name
    print(f"\n{root}: {backend}, {args.ops} operations (seed {args.seed}) in {elapsed:.1f} s, "
          f"settle {args.settle:g} s")  # fmt: skip
    counts = {kind: len(values) for kind, values in latency.items()}
    print("  mix: " + ", ".join(f"{kind} {n}" for kind, n in counts.items()))
    print(f"  feed polls                {polls:>6}")
    print(f"  answered from the cache   {hits:>6}  ({hits / polls:.1%} hit rate)")
    print(f"  feeds rebuilt             {polls - hits:>6}  "
          f"({', '.join(f'{k} {n}' for k, n in sorted(rebuilt.items())) or 'none'})")  # fmt: skip
    print(f"  rebuilt, same bytes       {same_bytes:>6}")
    print(f"  304 Not Modified          {not_modified:>6}  ({not_modified / polls:.1%})")
    for kind, values in latency.items():
        if values:
            print(f"  {kind:<8} latency   mean {statistics.mean(values):6.2f} ms   "
                  f"p95 {percentile(values, 95):6.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
