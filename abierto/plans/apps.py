from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "abierto.plans"
    label = "plans"
    verbose_name = _("Planes de Acción Local")
