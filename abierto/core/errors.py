"""Error pages that work when the platform's database does not.

`server_error` is Django's handler500: it runs inside the `except` that caught the failure,
so it can tell a database that went away (503, «vuelve sola») from a bug (500). Both pages
render without a query or a context processor. Django reconnects by itself on the next request
(CONN_HEALTH_CHECKS), so nothing needs restarting when the database returns.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

# Seconds a client (or a proxy) should wait before trying again.
RETRY_AFTER = 30


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    failure = sys.exc_info()[1]
    unavailable = isinstance(failure, OperationalError | InterfaceError)
    template = loader.get_template("503.html" if unavailable else "500.html")
    body = template.render({"request_id": getattr(request, "request_id", "")})
    if unavailable:
        return HttpResponse(body, status=503, headers={"Retry-After": str(RETRY_AFTER)})
    return HttpResponse(body, status=500)
