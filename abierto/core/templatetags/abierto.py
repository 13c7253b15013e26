"""Template filters shared by every app."""

from __future__ import annotations

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
}


@register.filter
def markdown(text: str) -> str:
    """User-written Markdown rendered to HTML and sanitised: no script, style or event handler."""
    html = markdown_lib.markdown(text or "", extensions=["sane_lists"])
    return mark_safe(  # noqa: S308 - nh3 has just removed everything not in the allow-list
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow noopener",
        )
    )
