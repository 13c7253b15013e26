"""The licences a dataset may carry, with Libre Uso MX (the national default) among them."""

from django.db import migrations

from abierto.catalog.licences import STANDARD, ensure_standard


def add(apps, schema_editor):
    ensure_standard(apps.get_model("catalog", "Licence"))


def remove(apps, schema_editor):
    apps.get_model("catalog", "Licence").objects.filter(key__in=[k for k, *_ in STANDARD]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
