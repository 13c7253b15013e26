"""Staff pages of harvesting, under /datos/cosechas/ (their own namespace: «harvest»)."""

from django.urls import path

from abierto.catalog import harvest_views

app_name = "harvest"
urlpatterns = [
    path("", harvest_views.source_list, name="sources"),
    path("ejecuciones/<int:pk>/", harvest_views.run_detail, name="run"),
    path("<slug:name>/", harvest_views.source_detail, name="source"),
    path("<slug:name>/cosechar/", harvest_views.run_start, name="start"),
]
