"""The platform's URLs plus /bench/minimal/, the baseline of every benchmark run."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from abierto.urls import urlpatterns as platform_urlpatterns


def minimal(request: HttpRequest) -> JsonResponse:
    """The least a Django view can do: the baseline the pages are measured against."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/minimal/", minimal, name="bench-minimal"), *platform_urlpatterns]
