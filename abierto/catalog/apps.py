from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "abierto.catalog"
    verbose_name = _("Datos abiertos")

    def ready(self) -> None:
        from abierto.catalog import signals  # noqa: F401  (connects the platform feeds)
