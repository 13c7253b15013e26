from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatastoreConfig(AppConfig):
    name = "abierto.datastore"
    verbose_name = _("Almacén de datos")

    def ready(self) -> None:
        # The datastore_* actions register themselves with the CKAN Action API.
        from abierto.datastore import actions  # noqa: F401
