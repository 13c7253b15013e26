"""Federation outputs at the paths harvesters expect: DCAT, data.json, datapackage.json.

The paths are ckanext-dcat's (`/catalog.ttl`, `/dataset/<id>.jsonld`) so that harvesters
configured for a CKAN portal work unchanged; `/id/…` names the places and themes the DCAT
output refers to.
"""

from django.urls import path, re_path

from abierto.catalog import federation_views as views

app_name = "federation"

RDF_FORMATS = r"(?P<fmt>jsonld|ttl|rdf|xml|n3)"
REF = r"(?P<ref>[A-Za-z0-9_-]{1,100})"

urlpatterns = [
    re_path(rf"^catalog\.{RDF_FORMATS}$", views.catalog, name="catalog"),
    path("data.json", views.data_json, name="data_json"),
    re_path(rf"^dataset/{REF}\.{RDF_FORMATS}$", views.dataset_rdf, name="dataset_rdf"),
    re_path(
        rf"^dataset/{REF}/datapackage\.json$", views.dataset_datapackage, name="dataset_datapackage"
    ),
    re_path(rf"^dataset/{REF}$", views.dataset_uri, name="dataset_uri"),
    re_path(
        rf"^dataset/{REF}/resource/(?P<resource>[0-9a-f-]{{36}})$",
        views.resource_uri,
        name="resource_uri",
    ),
    re_path(r"^id/inegi/(?P<code>[0-9]{2,5})$", views.place, name="place"),
    re_path(rf"^id/inegi/(?P<code>[0-9]{{2,5}})\.{RDF_FORMATS}$", views.place, name="place_format"),
    path("id/temas", views.theme_scheme, name="theme_scheme"),
    re_path(rf"^id/temas\.{RDF_FORMATS}$", views.theme_scheme, name="theme_scheme_format"),
]
