"""URLs. Site-wide paths come first; an exercise's pages live under its slug (/jalisco/…)."""

from django.contrib import admin
from django.urls import include, path

from abierto.datastore import exports as datastore_exports

urlpatterns = [
    path("admin/", admin.site.urls),
    path("cuentas/", include("abierto.participation.account_urls")),
    path("cuentas/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # CKAN clients call /api/action/… and /api/3/action/…: matched before the REST API.
    path("api/", include("abierto.catalog.ckan_urls")),
    path("api/", include("abierto.api_urls")),
    path("datos/cosechas/", include("abierto.catalog.harvest_urls")),
    path("datos/almacen/", include("abierto.datastore.urls")),
    # CKAN's DataStore dump, as ckanapi and CKAN links expect it.
    path("datastore/dump/<uuid:resource_id>", datastore_exports.dump, name="datastore_dump"),
    path("datos/", include("abierto.catalog.urls")),
    path("", include("abierto.catalog.federation_urls")),
    path("", include("abierto.plans.reporting_urls")),
    path("contrataciones/", include("abierto.contracting.urls")),
    path("nacional/", include("abierto.reports.urls")),
    path("", include("abierto.core.urls")),
    path("", include("abierto.reports.home_urls")),
    path("<slug:exercise>/stl/", include("abierto.secretariat.urls")),
    path("<slug:exercise>/planes/", include("abierto.plans.urls")),
    path("<slug:exercise>/participacion/", include("abierto.participation.urls")),
    path("<slug:exercise>/informe-anual/", include("abierto.reports.annual_report_urls")),
]

handler500 = "abierto.core.errors.server_error"
