"""The catalog's public pages and the publishers' forms, under /datos/."""

from django.urls import path

from abierto.catalog import publishing, views

app_name = "catalog"

urlpatterns = [
    path("", views.index, name="index"),
    path("dependencias/", views.publishers, name="publishers"),
    path("dependencias/<str:name>/", views.publisher, name="publisher"),
    path("temas/", views.themes, name="themes"),
    path("temas/<str:name>/", views.theme, name="theme"),
    path("conjuntos/<str:name>/", views.dataset, name="dataset"),
    path("conjuntos/<str:name>/historial/", views.dataset_history, name="dataset_history"),
    path("conjuntos/<str:name>/recursos/<uuid:resource>/", views.resource, name="resource"),
    # Permanent: the guide asks that a download address never changes nor disappears.
    path(
        "conjuntos/<str:name>/recursos/<uuid:resource>/descargar/",
        views.resource_download,
        name="resource_download",
    ),
    # Publishing, for the members of a publisher (and the portal's data team).
    path("mis-conjuntos/", publishing.my_datasets, name="my_datasets"),
    path("mis-conjuntos/clave-api/", publishing.api_token, name="api_token"),
    path(
        "dependencias/<str:name>/publicar/",
        publishing.dataset_create,
        name="dataset_create",
    ),
    path("conjuntos/<str:name>/editar/", publishing.dataset_edit, name="dataset_edit"),
    path("conjuntos/<str:name>/eliminar/", publishing.dataset_delete, name="dataset_delete"),
    path(
        "conjuntos/<str:name>/recursos/nuevo/",
        publishing.resource_create,
        name="resource_create",
    ),
    path(
        "conjuntos/<str:name>/recursos/<uuid:resource>/editar/",
        publishing.resource_edit,
        name="resource_edit",
    ),
    path(
        "conjuntos/<str:name>/recursos/<uuid:resource>/eliminar/",
        publishing.resource_delete,
        name="resource_delete",
    ),
]
