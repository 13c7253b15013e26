"""A small fixed-window rate limit on the cache: sign-ups per address, comments per person."""

from __future__ import annotations

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _


class RateLimited(Exception):
    """Too many attempts in the window; the view answers 429 with this message."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def hit(key: str, *, limit: int, window: int, message: str | None = None) -> None:
    """Count one attempt under `key`; raise RateLimited when it would exceed `limit`."""
    full_key = f"abierto:rate:{key}"
    cache.add(full_key, 0, timeout=window)
    try:
        count = cache.incr(full_key)
    except ValueError:  # the key expired between add and incr
        cache.set(full_key, 1, timeout=window)
        count = 1
    if count > limit:
        raise RateLimited(str(message or _("Demasiados intentos. Inténtelo más tarde.")))


def peek(key: str, *, limit: int) -> bool:
    """Whether `key` has already used up its `limit` (without counting an attempt)."""
    return (cache.get(f"abierto:rate:{key}") or 0) >= limit
