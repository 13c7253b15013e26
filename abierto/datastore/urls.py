"""The datastore's pages and downloads (mounted at /datos/almacen/)."""

from django.urls import path

from abierto.datastore import exports, views

app_name = "datastore"

urlpatterns: list = [
    # Loading (loads, progress, data dictionary): views.py
    path("recurso/<uuid:resource>/carga/", views.load, name="load"),
    path("recurso/<uuid:resource>/cargar/", views.load_start, name="load_start"),
    path("recurso/<uuid:resource>/diccionario/", views.dictionary, name="dictionary"),
    # Downloads of whole or filtered tables: exports.py
    path("<uuid:resource_id>/descargar.<str:fmt>", exports.download, name="download"),
]
