"""A small fixed-window rate limit on the cache: sign-ups per address, comments per person."""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _


class RateLimited(Exception):
    """Too many attempts in the window; the view answers 429 with this message."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        self.message = message
        # Seconds until the window closes, for the Retry-After header.
        self.retry_after = retry_after
        super().__init__(message)


def hit(key: str, *, limit: int, window: int, message: str | None = None) -> None:
    """Count one attempt under `key`; raise RateLimited when it would exceed `limit`."""
    full_key = f"abierto:rate:{key}"
    # The cache does not tell a key's remaining time, so the window's end is kept beside it.
    cache.add(f"{full_key}:ends", time.time() + window, timeout=window)
    cache.add(full_key, 0, timeout=window)
    try:
        count = cache.incr(full_key)
    except ValueError:  # the key expired between add and incr
        cache.set(full_key, 1, timeout=window)
        cache.set(f"{full_key}:ends", time.time() + window, timeout=window)
        count = 1
    if count > limit:
        ends = cache.get(f"{full_key}:ends") or time.time() + window
        retry_after = max(1, math.ceil(ends - time.time()))
        raise RateLimited(
            str(message or _("Demasiados intentos. Inténtelo más tarde.")), retry_after
        )


def peek(key: str, *, limit: int) -> bool:
    """Whether `key` has already used up its `limit` (without counting an attempt)."""
    return (cache.get(f"abierto:rate:{key}") or 0) >= limit
