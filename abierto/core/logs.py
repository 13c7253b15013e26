"""Structured logs: one JSON object per line, each tied to the request that caused it.

A request id is taken from the `X-Request-ID` header when the load balancer or nginx set a
sane one (so one id follows a request through every tier), or made here; it is kept in a
context variable for the request's duration, so any log line written meanwhile, from any
module, carries it; and it goes back in the response's `X-Request-ID` header for people who
report a problem to quote.

One line per request goes to the logger `abierto.requests` with method, path, status and
duration. The path is logged without its query string: search terms and filters typed by
citizens may hold names or other personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Letters, digits and a few separators, bounded: an id that could carry a newline, quotes or
# a whole payload into the logs is replaced rather than trusted.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

request_id_var: ContextVar[str | None] = ContextVar("abierto_request_id", default=None)
request_logger = logging.getLogger("abierto.requests")


def current_request_id() -> str | None:
    """The id of the request being served by this thread or task, if any."""
    return request_id_var.get()


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a sane token, else a new uuid4 in hex (32 characters)."""
    if header and SANE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


# URL parts that are secrets: whoever reads the logs must not be able to reset a password.
SECRET_KWARGS = frozenset({"uidb64", "token"})


def logged_path(request: HttpRequest) -> str:
    """The path, or its URL pattern when the path holds a secret (password-reset links)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and SECRET_KWARGS & set(match.kwargs):
        return "/" + match.route
    return request.path


class RequestIdMiddleware:
    """Give every request an id, echo it in the response, and log one line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            path = logged_path(request)
            request_logger.info(
                "%s %s %s %sms",
                request.method,
                path,
                response.status_code,
                duration_ms,
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record, for the plain-text format too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id() or "-"
        return True


# Attributes every LogRecord has; anything else was passed in `extra` and is worth keeping.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_REQUEST_FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, request_id…"""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id_of(record),
        }
        for name in _REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry and not name.startswith("_"):
                entry[name] = value
        # django.request attaches the request object itself: never dump it (cookies, headers).
        entry.pop("request", None)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: an extra that is not JSON (a date, a model) still makes a valid line.
        return json.dumps(entry, ensure_ascii=False, default=str)


def _request_id_of(record: logging.LogRecord) -> str | None:
    value = getattr(record, "request_id", None)
    return current_request_id() if value in (None, "-") else value
