"""Text written by members: Markdown rendered and then sanitised, and lists of links.

Raw HTML in the source is parsed and then dropped by nh3 unless it is one of the few
harmless tags Markdown itself produces; script and style lose their content too, and links
keep only http(s), mailto and tel targets.
"""

import html
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_markdown(source: str | None) -> Markup:
    html = _markdown.render(source or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


def markdown_to_text(source: str | None) -> str:
    """Plain text for calendar descriptions and mail: the Markdown source, minus HTML."""
    return html.unescape(nh3.clean(source or "", tags=set())).strip()


def plural(n: int, one: str, many: str | None = None, zero: str | None = None) -> str:
    """'1 vote', '2 votes', '1,040 votes' (or 'no votes' given zero="no"): the count with the
    word that agrees with it, the one way every page and message counts things."""
    many = many or one + "s"
    count = zero if n == 0 and zero else f"{n:,}"
    return f"{count} {one if n == 1 else many}"


# --- "Title | https://link", one a line: a call's resources, a visit report's links --------

LINK_MAX = 500


@dataclass(frozen=True)
class Link:
    title: str
    url: str


def parse_link_lines(text: str | None, what: str = "links") -> list[Link]:
    """One link a line, "Title | https://link"; a bare link is its own title. A line that is
    not a link raises ValueError saying which line and how to write it."""
    links = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        title, _, url = line.rpartition("|")
        title, url = title.strip(), url.strip()
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or " " in url:
            raise ValueError(
                f"Line {number} of the {what} needs a link starting with https:// "
                "(write: Title | https://example.org/page)."
            )
        if len(url) > LINK_MAX:
            raise ValueError(f"The link on line {number} is longer than {LINK_MAX} characters.")
        links.append(Link(title=(title or url)[:200], url=url))
    return links
