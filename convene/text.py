"""Markdown written by members, rendered and then sanitised.

Raw HTML in the source is parsed and then dropped by nh3 unless it is one of the few
harmless tags Markdown itself produces; script and style lose their content too, and links
keep only http(s), mailto and tel targets.
"""

import html

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
