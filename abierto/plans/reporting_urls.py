"""The reporting workflow: report progress, verify it, and one's own pending work."""

from django.urls import path

from abierto.plans import reporting

app_name = "reporting"
urlpatterns = [
    path(
        "<slug:exercise>/planes/<slug:plan>/compromisos/<slug:commitment>/reportar/",
        reporting.report,
        name="report",
    ),
    path("avances/<int:pk>/validar/", reporting.verify, name="verify"),
    path("mi-trabajo/", reporting.my_work, name="my_work"),
]
