"""Filters that word a stored red flag for people: its title and why it was raised."""

from __future__ import annotations

from django import template

from abierto.contracting import redflags

register = template.Library()


@register.filter
def red_flag_title(code: str) -> str:
    indicator = redflags.DEFINITIONS.get(code)
    return str(indicator.title) if indicator else code


@register.filter
def red_flag_reason(flag) -> str:
    """Why `flag` (a RedFlag or a dict with code and details) was raised."""
    if isinstance(flag, dict):
        return redflags.reason(flag.get("code", ""), flag.get("details") or {})
    return redflags.reason(flag.code, flag.details)
