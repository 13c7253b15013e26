"""The licences a dataset may carry, with Libre Uso MX (the national default) among them."""

from django.db import migrations

LICENCES = [
    ("libre-uso-mx", "Términos de Libre Uso MX", "https://datos.gob.mx/libreusomx", True),
    ("cc-by-4.0", "Creative Commons Atribución 4.0", "https://creativecommons.org/licenses/by/4.0/", True),
    ("cc-by-sa-4.0", "Creative Commons Atribución-CompartirIgual 4.0", "https://creativecommons.org/licenses/by-sa/4.0/", True),
    ("cc-zero", "Creative Commons CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/", True),
    ("odc-odbl", "Open Data Commons Open Database License (ODbL)", "https://opendatacommons.org/licenses/odbl/1-0/", True),
    ("odc-by", "Open Data Commons Attribution License", "https://opendatacommons.org/licenses/by/1-0/", True),
    ("odc-pddl", "Open Data Commons Public Domain Dedication and License", "https://opendatacommons.org/licenses/pddl/1-0/", True),
    ("apache-2.0", "Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0", True),
    ("uk-ogl", "UK Open Government Licence (OGL)", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", True),
    ("other-open", "Otra licencia abierta", "", True),
    ("notspecified", "Licencia no especificada", "", False),
]


def add(apps, schema_editor):
    Licence = apps.get_model("catalog", "Licence")
    for key, title, url, is_open in LICENCES:
        Licence.objects.update_or_create(
            key=key, defaults={"title": title, "url": url, "is_open": is_open}
        )


def remove(apps, schema_editor):
    apps.get_model("catalog", "Licence").objects.filter(key__in=[k for k, *_ in LICENCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
