from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "abierto.catalog"
    verbose_name = _("Datos abiertos")

    def ready(self) -> None:
        # Connect the receivers: the platform feeds (signals) and the search index (search).
        from abierto.catalog import search, signals  # noqa: F401

        # `flush` (transactional tests, manage.py flush) empties the licences migration 0002
        # installed; put them back.
        post_migrate.connect(_restore_licences, sender=self)


def _restore_licences(using: str = "default", **kwargs) -> None:
    from django.db import router

    from abierto.catalog.licences import ensure_standard
    from abierto.catalog.models import Licence

    if router.allow_migrate_model(using, Licence) and not Licence.objects.using(using).exists():
        ensure_standard(Licence)
