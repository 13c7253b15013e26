from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatastoreConfig(AppConfig):
    name = "abierto.datastore"
    verbose_name = _("Almacén de datos")
