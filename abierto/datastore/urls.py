"""The datastore's pages and downloads (mounted at /datos/almacen/)."""

from django.urls import path  # noqa: F401

app_name = "datastore"

urlpatterns: list = [
    # Loading (loads, progress, data dictionary): views.py
    # Downloads of whole or filtered tables: exports.py
]
