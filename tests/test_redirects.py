"""`next` leads to a path on this site or to the fallback: known bypasses, through every
place that takes a `next`, and a property over any text."""

from urllib.parse import quote, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convene.extensions import db
from convene.redirects import is_local_path, safe_next
from convene.topics.models import Topic, TopicStatus
from tests.conftest import PASSWORD

FALLBACK = "/fallback"

GOOD = [
    "/",
    "/account",
    "/calls/3?x=1",
    "/calls/3?x=1&y=two#rsvp",
    "/topics?status=open",
    "/admin/members?q=new%20york",  # a search with a space in it
    "/admin/members?q=new+york",
    "/topics/7",
    "/calendar/public.ics",
    "/a%2Fb",  # an encoded slash inside a segment is still a path here
    "/caf%C3%A9",
]

BYPASSES = [
    "//evil.example",
    "//evil.example/",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%2fevil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/ /evil.example",
    "/%20/evil.example",
    "/account\r\nSet-Cookie: x=1",
    "/%0d%0aSet-Cookie:x",
    "/%0D%0ALocation:%20https://evil.example",
    "/account%00",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/\u3000/evil.example",  # ideographic space
    "/\u00a0/evil.example",  # no-break space
    "/\u2028/evil.example",  # line separator
    "/\u200b/evil.example",  # zero-width space (a format character)
    "/\ufeff/evil.example",
    "/%E2%80%A8/evil.example",  # an encoded line separator
    "/%C2%A0/evil.example",
    "/.//evil.example",
    "/./evil.example",
    "/../evil.example",
    "/%2e%2e/evil.example",
    "/%2E/%2Fevil.example",
    "https://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http:\\\\evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
    "",
    None,
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", GOOD)
def test_paths_on_this_site_are_kept(target):
    assert is_local_path(target)
    assert safe_next(target, FALLBACK) == target


@pytest.mark.parametrize("target", BYPASSES, ids=repr)
def test_known_bypasses_fall_back(target):
    assert not is_local_path(target)
    assert safe_next(target, FALLBACK) == FALLBACK


def test_an_array_or_other_object_falls_back():
    assert safe_next(["/account"], FALLBACK) == FALLBACK
    assert safe_next(b"/account", FALLBACK) == FALLBACK


def _where_a_browser_goes(location: str) -> tuple[str, str]:
    """Scheme and host a browser would take from a Location: it drops tabs and line breaks,
    reads a backslash as a slash and trims spaces and controls at either end."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "")
    cleaned = cleaned.replace("\\", "/").strip("".join(chr(c) for c in range(0x21)))
    parts = urlsplit(cleaned)
    return parts.scheme, parts.netloc


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet="/\\.%:@?#\t\n\r 0a2Ffe5Cx", max_size=20),
        st.builds(lambda s: "/" + s, st.text(max_size=30)),
        st.builds(lambda s: quote(s, safe=""), st.text(max_size=20)),
    )
)
def test_any_text_leads_to_this_site(target):
    result = safe_next(target, FALLBACK)
    assert result in (target, FALLBACK)
    if result == target:
        for form in (target, unquote(target)):
            assert _where_a_browser_goes(form) == ("", "")
            assert form.startswith("/") and not form.startswith("//")


# --- through every place that takes `next` -------------------------------------------------


def _assert_stays_here(response, fallback: str, target) -> None:
    assert response.status_code in (302, 303), (target, response.status_code)
    location = response.headers["Location"]
    scheme, host = urlsplit(location)[:2]
    assert scheme in ("", "http") and host in ("", "localhost"), (target, location)
    assert not location.startswith("//") and "\\" not in location, (target, location)
    assert "\r" not in location and "\n" not in location, (target, location)
    if not is_local_path(target):
        assert location == fallback, (target, location)


@pytest.mark.parametrize("target", BYPASSES[:-1] + GOOD, ids=repr)
def test_sign_in_next(make_member, client, target):
    member = make_member()
    query = "" if target is None else "?next=" + quote(target, safe="")
    response = client.post(f"/sign-in{query}", data={"email": member.email, "password": PASSWORD})
    _assert_stays_here(response, "/", target)
    if target in GOOD:
        assert response.headers["Location"] == target


def _topic(make_member) -> Topic:
    topic = Topic(title="Open data policy", proposer=make_member(), status=TopicStatus.OPEN)
    db.session.add(topic)
    db.session.commit()
    return topic


@pytest.mark.parametrize("target", BYPASSES[:-1] + GOOD, ids=repr)
def test_topic_vote_next(make_member, client_for, target):
    topic = _topic(make_member)
    client = client_for(make_member())
    data = {"support": "yes"}
    if target is not None:
        data["next"] = target
    response = client.post(f"/topics/{topic.id}/vote", data=data)
    _assert_stays_here(response, f"/topics/{topic.id}", target)
    if target in GOOD:
        assert response.headers["Location"] == target
