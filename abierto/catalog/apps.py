from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "abierto.catalog"
    verbose_name = _("Datos abiertos")

    def ready(self) -> None:
        # Connect the receivers: the platform feeds (signals) and the search index (search).
        from abierto.catalog import search, signals  # noqa: F401
