"""Rich text from users (notes, comments, email bodies) is sanitised before it is stored."""

from __future__ import annotations

import nh3

TAGS = {
    "p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "a", "span", "div", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "span": {"dir"}, "p": {"dir"}, "div": {"dir"}, "td": {"colspan"}}


def sanitize_html(text: str) -> str:
    """Keep formatting, drop scripts, styles, event handlers and unsafe links."""
    return nh3.clean(
        text or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )
