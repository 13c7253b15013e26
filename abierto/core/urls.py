from django.urls import path

from abierto.core import health, metrics, views

app_name = "core"
urlpatterns = [
    path("idioma/<str:code>/", views.language, name="language"),
    path("salud/", health.health, name="health"),
    # The name most load balancers and orchestrators probe by default.
    path("healthz", health.health, name="healthz"),
    path("metricas", metrics.metrics, name="metrics"),
    path("metrics", metrics.metrics),
]
