"""A URLconf with a view that has a bug, for the 500 page's test."""

from django.urls import path


def broken(request):
    raise ZeroDivisionError("a bug, not an outage")


urlpatterns = [path("roto/", broken)]
handler500 = "abierto.core.errors.server_error"
