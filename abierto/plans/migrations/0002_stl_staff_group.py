"""The group «Personal del STL»: STL staff manage the exercise's plans and secretariat."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Personal del STL"
ACTIONS = ("add", "change", "delete", "view")
CORE_MODELS = ("document", "organization", "reportedfigure")


def _ensure_permissions(apps):
    # On a fresh database permissions are created only after all migrations have run.
    for label in ("core", "secretariat", "plans"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None


def create_group(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = {("core", "view_auditentry")}
    for label in ("secretariat", "plans"):
        for model in apps.get_app_config(label).get_models():
            name = model._meta.model_name
            codenames.update((label, f"{action}_{name}") for action in ACTIONS)
    codenames.update(("core", f"{action}_{name}") for name in CORE_MODELS for action in ACTIONS)
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in sorted(codenames):
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        ("secretariat", "0001_initial"),
        ("plans", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
