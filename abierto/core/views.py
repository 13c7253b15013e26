"""Site-wide views of core: the language switch, and the exercise lookup every app uses."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme

from abierto.core.models import Exercise


def language(request: HttpRequest, code: str) -> HttpResponse:
    """Switch the interface language by a plain link (no form, so cached pages stay shareable)."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


def get_exercise_or_404(slug: str) -> Exercise:
    """The exercise named in the URL, or 404."""
    return get_object_or_404(Exercise.objects.select_related("jurisdiction"), slug=slug)
