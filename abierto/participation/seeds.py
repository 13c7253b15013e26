"""Rows that data migrations write, put back when `flush` empties the tables.

`manage.py flush` (and every transactional test, which flushes after itself) deletes all rows
but runs no migration again, so the group «Personal del STL» and its permissions would be
gone until the database is rebuilt. This receiver of `post_migrate`, which flush sends,
re-creates them with the rules of the migrations that first made them.
"""

from __future__ import annotations

import importlib

from django.contrib.auth.models import Group, Permission
from django.db import router

_PLANS = importlib.import_module("abierto.plans.migrations.0002_stl_staff_group")
_PARTICIPATION = importlib.import_module(
    "abierto.participation.migrations.0002_stl_staff_permissions"
)


def _codenames() -> set[tuple[str, str]]:
    from django.apps import apps

    codenames = {("core", "view_auditentry")}
    for label in ("secretariat", "plans"):
        for model in apps.get_app_config(label).get_models():
            name = model._meta.model_name
            codenames.update((label, f"{action}_{name}") for action in _PLANS.ACTIONS)
    codenames.update(
        ("core", f"{action}_{name}") for name in _PLANS.CORE_MODELS for action in _PLANS.ACTIONS
    )
    for model in apps.get_app_config("participation").get_models():
        name = model._meta.model_name
        actions = (
            _PARTICIPATION.ACTIONS
            if name in _PARTICIPATION.NO_DELETE
            else (*_PARTICIPATION.ACTIONS, "delete")
        )
        codenames.update(("participation", f"{action}_{name}") for action in actions)
    return codenames


def restore_stl_staff_group(using: str = "default", **kwargs) -> None:
    if not router.allow_migrate_model(using, Group):
        return  # the datastore's database holds no Django tables
    if Group.objects.using(using).filter(name=_PLANS.GROUP).exists():
        return  # migrate made it (or an earlier flush restored it)
    group = Group.objects.using(using).create(name=_PLANS.GROUP)
    for app_label, codename in sorted(_codenames()):
        group.permissions.add(
            Permission.objects.using(using).get(
                content_type__app_label=app_label, codename=codename
            )
        )
