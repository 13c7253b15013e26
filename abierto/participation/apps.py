from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "abierto.participation"
    label = "participation"
    verbose_name = _("Participación y co-creación")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from abierto.participation.seeds import restore_stl_staff_group

        post_migrate.connect(restore_stl_staff_group, sender=self)
