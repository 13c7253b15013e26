"""The CKAN Action API: /api/action/NAME and /api/{1,2,3}/action/NAME, never redirected.

A trailing slash is accepted too, so that CommonMiddleware's APPEND_SLASH never answers
these paths with a redirect (ckanapi does not follow them). `/api/3` answers its version,
as CKAN does, for clients that probe it.
"""

from django.urls import re_path

from abierto.catalog import ckan

urlpatterns = [
    re_path(
        r"^(?:(?P<version>[123])/)?action(?:/(?P<name>[A-Za-z0-9_.-]*))?/?$",
        ckan.action_view,
        name="ckan_action",
    ),
    re_path(r"^(?P<version>[123])/?$", ckan.api_version, name="ckan_api_version"),
]
