from django.urls import path

from abierto.contracting import bulk_views, capture_views, pages, redflag_views, views

app_name = "contracting"
urlpatterns = [
    path("", pages.search, name="search"),
    path("procesos/<str:ocid>/", pages.process, name="process"),
    path("proveedores/", pages.suppliers, name="suppliers"),
    path("proveedores/<str:key>/", pages.supplier, name="supplier"),
    path("compradores/", pages.buyers, name="buyers"),
    path("compradores/<str:key>/", pages.buyer, name="buyer"),
    path("entregas.json", views.releases, name="releases"),
    path("registros.json", views.records, name="records"),
    path("entregas/<int:pk>.json", views.release, name="release"),
    path("ocid/<str:ocid>/entregas.json", views.ocid_releases, name="ocid_releases"),
    path("ocid/<str:ocid>/registro.json", views.ocid_record, name="ocid_record"),
    path("ocid/<str:ocid>/proceso.json", views.ocid_process, name="ocid_process"),
    path("importaciones/nueva/", views.import_new, name="import_new"),
    path("importaciones/<int:pk>/", views.import_detail, name="import_detail"),
    path("captura/", capture_views.home, name="capture"),
    path("captura/hoja/", capture_views.spreadsheet_import, name="spreadsheet_import"),
    path("captura/importaciones/<int:pk>/", capture_views.import_report, name="capture_import"),
    path("captura/<str:ocid>/", capture_views.process, name="capture_process"),
    path("captura/<str:ocid>/<str:key>/", capture_views.stage, name="capture_stage"),
    path("descargas/", bulk_views.downloads, name="bulk_downloads"),
    path("descargas/<str:prefix>/<int:year>/<str:name>", bulk_views.bulk_file, name="bulk_file"),
    path("politica-de-publicacion/", bulk_views.publication_policy, name="publication_policy"),
    path("alertas/", redflag_views.definitions, name="red_flags"),
    path("alertas.json", redflag_views.definitions_json, name="red_flags_json"),
    path("alertas/<str:code>/", redflag_views.definition, name="red_flag"),
]
