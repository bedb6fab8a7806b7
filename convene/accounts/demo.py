"""The demo network: the programme team, five partners and 27 mid-sized US cities."""

import random

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.accounts.passwords import hash_password
from convene.extensions import db

# (name, state, population (2015 estimate), IANA zone)
CITIES = [
    ("Anchorage", "AK", 298_695, "America/Anchorage"),
    ("Honolulu", "HI", 352_769, "Pacific/Honolulu"),
    ("Mesa", "AZ", 471_825, "America/Phoenix"),
    ("Scottsdale", "AZ", 236_839, "America/Phoenix"),
    ("Tempe", "AZ", 172_816, "America/Phoenix"),
    ("Boston", "MA", 667_137, "America/New_York"),
    ("Cambridge", "MA", 110_402, "America/New_York"),
    ("Chattanooga", "TN", 176_588, "America/New_York"),
    ("Knoxville", "TN", 185_291, "America/New_York"),
    ("Nashville", "TN", 654_610, "America/Chicago"),
    ("Kansas City", "MO", 475_378, "America/Chicago"),
    ("Independence", "MO", 117_240, "America/Chicago"),
    ("Louisville", "KY", 615_366, "America/Kentucky/Louisville"),
    ("Lexington", "KY", 314_488, "America/New_York"),
    ("New Orleans", "LA", 389_617, "America/Chicago"),
    ("Baton Rouge", "LA", 228_590, "America/Chicago"),
    ("Jackson", "MS", 170_674, "America/Chicago"),
    ("Seattle", "WA", 684_451, "America/Los_Angeles"),
    ("Tacoma", "WA", 207_948, "America/Los_Angeles"),
    ("Tulsa", "OK", 403_505, "America/Chicago"),
    ("Las Vegas", "NV", 623_747, "America/Los_Angeles"),
    ("Denver", "CO", 682_545, "America/Denver"),
    ("Albuquerque", "NM", 559_121, "America/Denver"),
    ("Boise", "ID", 218_281, "America/Boise"),
    ("Lincoln", "NE", 272_996, "America/Chicago"),
    ("Providence", "RI", 179_207, "America/New_York"),
    ("Syracuse", "NY", 143_539, "America/New_York"),
]

# (name, slug, zone)
PARTNERS = [
    ("Center for Government Excellence", "govex", "America/New_York"),
    ("Government Performance Lab", "gpl", "America/New_York"),
    ("Sunlight Foundation", "sunlight", "America/New_York"),
    ("Behavioral Insights Team", "bit", "America/New_York"),
    ("Results for America", "rfa", "America/New_York"),
]

PROGRAMME = ("Programme team", "programme", "America/New_York")

FIRST = [
    "Maria",
    "James",
    "Aisha",
    "Robert",
    "Linda",
    "Michael",
    "Priya",
    "David",
    "Sarah",
    "Carlos",
    "Mei",
    "Joseph",
    "Fatima",
    "Daniel",
    "Grace",
    "Thomas",
    "Keisha",
    "Andrew",
    "Rosa",
    "Kevin",
    "Hannah",
    "Luis",
    "Emily",
    "Samuel",
    "Olivia",
    "Tariq",
    "Nora",
    "Victor",
    "Julia",
    "Marcus",
    "Elena",
    "Omar",
    "Chloe",
    "Brian",
    "Ana",
    "Derek",
    "Leah",
    "Hector",
    "Ruth",
    "Paul",
]
LAST = [
    "Garcia",
    "Johnson",
    "Okafor",
    "Nguyen",
    "Smith",
    "Patel",
    "Brown",
    "Kim",
    "Martinez",
    "Lee",
    "Walker",
    "Hall",
    "Rivera",
    "Young",
    "Allen",
    "Wright",
    "Lopez",
    "Hill",
    "Scott",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Perez",
    "Roberts",
    "Turner",
    "Phillips",
    "Campbell",
    "Parker",
    "Evans",
    "Edwards",
    "Collins",
    "Stewart",
    "Sanchez",
    "Morris",
    "Rogers",
    "Reed",
    "Cook",
]

CITY_TITLES = ["Chief of Staff", "Director of Innovation", "Performance Manager", "Data Analyst",
               "Budget Director", "Open Data Coordinator", "Policy Advisor"]  # fmt: skip

# The documented demo accounts, one per role (README).
NAMED = {
    Role.ADMIN: ("admin@demo.convene.test", "Alex Admin", "programme"),
    Role.HOST: ("host@demo.convene.test", "Hana Host", "govex"),
    Role.CHAMPION: ("champion@demo.convene.test", "Chris Champion", "mesa-az"),
    Role.MEMBER: ("member@demo.convene.test", "Morgan Member", "louisville-ky"),
}


def slugify(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


DEMO_PASSWORD = "convene-demo"


def load(rng: random.Random) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    used_names: set[str] = set()

    def person_name() -> str:
        while True:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if name not in used_names:
                used_names.add(name)
                return name

    def add_member(org: Organisation, role: Role, title: str, email: str | None = None,
                   name: str | None = None) -> Member:  # fmt: skip
        name = name or person_name()
        if email is None:
            email = f"{slugify(name).replace('-', '.')}@{org.slug}.example.org"
        member = Member(email=email, name=name, organisation=org, role=role, title=title,
                        password_hash=password_hash)  # fmt: skip
        db.session.add(member)
        return member

    orgs: dict[str, Organisation] = {}
    name, slug, zone = PROGRAMME
    orgs[slug] = Organisation(kind=OrganisationKind.PROGRAMME, name=name, slug=slug, zone=zone)
    for name, slug, zone in PARTNERS:
        orgs[slug] = Organisation(kind=OrganisationKind.PARTNER, name=name, slug=slug, zone=zone)
    for name, state, population, zone in CITIES:
        slug = slugify(f"{name} {state}")
        orgs[slug] = Organisation(kind=OrganisationKind.CITY, name=name, slug=slug,
                                  state=state, population=population, zone=zone)  # fmt: skip
    db.session.add_all(orgs.values())

    named = {role: add_member(orgs[org], role, role.value.title(), email, name)
             for role, (email, name, org) in NAMED.items()}  # fmt: skip
    add_member(orgs["programme"], Role.ADMIN, "Programme Director")
    add_member(orgs["programme"], Role.MEMBER, "Programme Associate")
    for _name, slug, _zone in PARTNERS:
        hosts = 1 if slug == NAMED[Role.HOST][2] else 2
        for _ in range(hosts):
            add_member(orgs[slug], Role.HOST, "Senior Advisor")
        add_member(orgs[slug], Role.MEMBER, "Analyst")
    for name, state, _population, _zone in CITIES:
        org = orgs[slugify(f"{name} {state}")]
        if named[Role.CHAMPION].organisation is not org:
            add_member(org, Role.CHAMPION, rng.choice(["Chief of Staff", "Head of Innovation"]))
        # Mostly three, so that summit delegations fill up.
        others = rng.choice([2, 3, 3, 3])
        others -= 1 if named[Role.MEMBER].organisation is org else 0
        for _ in range(others):
            add_member(org, Role.MEMBER, rng.choice(CITY_TITLES))
    db.session.flush()
    _account_changes(orgs)


def _account_changes(orgs: dict[str, Organisation]) -> None:
    """Account changes people make, through their flows (no random draws, so the other
    loaders' choices stay as they were), so that the demo's mail folder holds each
    account notice: a new password, a new address asked for and confirmed, and a city's
    champion role handed to a colleague. The README's named accounts are left alone."""
    from convene.accounts import champions, credentials

    def members_of(slug: str) -> list[Member]:
        people = sorted(orgs[slug].members, key=lambda m: m.name)
        return [m for m in people if m.role == Role.MEMBER]

    credentials.change_password(members_of("syracuse-ny")[0], DEMO_PASSWORD, DEMO_PASSWORD)

    mover = members_of("tacoma-wa")[0]
    local = mover.email.split("@", 1)[0]
    new_email = credentials.ask_email_change(
        mover, DEMO_PASSWORD, f"{local}@cityoftacoma.example.org"
    )
    credentials.confirm_email_change(credentials.EmailChange(mover, new_email))

    providence = orgs["providence-ri"]
    champion = next(m for m in providence.members if m.role == Role.CHAMPION)
    champions.hand_over_champion(champion, providence, members_of("providence-ri")[0])
