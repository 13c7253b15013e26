"""STL staff (group «Personal del STL») manage labs and events and moderate participation."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Personal del STL"
ACTIONS = ("add", "change", "view")
# Moderation hides, it never deletes: staff get no delete permission on citizens' content.
NO_DELETE = {"proposal", "comment", "support"}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("participation")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for model in app_config.get_models():
        name = model._meta.model_name
        actions = ACTIONS if name in NO_DELETE else (*ACTIONS, "delete")
        for action in actions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label="participation", codename=f"{action}_{name}"
                )
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="participation")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0001_initial"),
        ("plans", "0002_stl_staff_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
