"""JSON answers written by orjson, several times faster than the standard library (a 100-row
datastore page: 0.4 of a 2 ms request with `json.dumps`).

What orjson refuses (integers beyond 64 bits, keys that are not strings) the standard library
writes, as before. Datetimes and dataclasses go to `default`, not to orjson's own forms, so
each caller's answers keep the shape their clients read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_DJANGO = DjangoJSONEncoder()


def dumps(body: Any, default: Callable[[Any], Any] = str) -> bytes:
    """`body` as UTF-8 JSON; `default` turns what JSON lacks into what it has."""
    try:
        return orjson.dumps(body, default=default, option=_OPTIONS)
    except orjson.JSONEncodeError:

        def fallback(value: Any) -> Any:
            # JSON already written (orjson.Fragment), read back for the standard library.
            if isinstance(value, orjson.Fragment):
                return json.loads(value.contents)
            return default(value)

        return json.dumps(body, ensure_ascii=False, default=fallback).encode()


def text(body: Any) -> str:
    """`body` as JSON text, for a JSON column written as a plain value (core/rows.py)."""
    return dumps(body).decode()


def response(body: Any, status: int = 200) -> HttpResponse:
    """Django's JsonResponse, written faster: values as DjangoJSONEncoder writes them."""
    return HttpResponse(
        dumps(body, default=_DJANGO.default), status=status, content_type="application/json"
    )
