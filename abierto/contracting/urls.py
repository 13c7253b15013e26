from django.urls import path

from abierto.contracting import views

app_name = "contracting"
urlpatterns = [
    path("entregas.json", views.releases, name="releases"),
    path("registros.json", views.records, name="records"),
    path("entregas/<int:pk>.json", views.release, name="release"),
    path("ocid/<str:ocid>/entregas.json", views.ocid_releases, name="ocid_releases"),
    path("ocid/<str:ocid>/registro.json", views.ocid_record, name="ocid_record"),
    path("ocid/<str:ocid>/proceso.json", views.ocid_process, name="ocid_process"),
    path("importaciones/nueva/", views.import_new, name="import_new"),
    path("importaciones/<int:pk>/", views.import_detail, name="import_detail"),
]
