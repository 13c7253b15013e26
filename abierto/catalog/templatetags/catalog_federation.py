"""Template tags that put the federation outputs in a dataset page's head."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from abierto.catalog import federation, schemaorg
from abierto.catalog.models import Dataset

register = template.Library()


@register.simple_tag(takes_context=True)
def dataset_jsonld(context: template.Context, dataset: Dataset) -> SafeString:
    """`<script type="application/ld+json">` with the dataset in schema.org terms."""
    text = schemaorg.dataset_jsonld(dataset, context.get("request"))
    # dataset_jsonld escapes "<", ">" and "&", so the text cannot leave the script element.
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308


@register.simple_tag(takes_context=True)
def dataset_alternate_links(context: template.Context, dataset: Dataset) -> SafeString:
    """`<link rel="alternate">` for each machine-readable description of the dataset."""
    links = federation.alternate_links(dataset, context.get("request"))
    return format_html_join(
        "\n",
        '<link rel="alternate" type="{}" href="{}" title="{}">',
        ((content_type, href, title) for href, content_type, title in links),
    ) or format_html("")
