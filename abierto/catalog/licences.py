"""The standard licences: reference data every catalog has, Libre Uso MX first.

Migration 0002 installs them; `ensure_standard()` puts them back where a database lost them
(a test database flushed between live-server tests, an instance restored without them).
"""

from __future__ import annotations

# (key = CKAN license_id, title, URL, open?)
STANDARD = [
    ("libre-uso-mx", "Términos de Libre Uso MX", "https://datos.gob.mx/libreusomx", True),
    (
        "cc-by-4.0",
        "Creative Commons Atribución 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
        True,
    ),
    (
        "cc-by-sa-4.0",
        "Creative Commons Atribución-CompartirIgual 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
        True,
    ),
    (
        "cc-zero",
        "Creative Commons CC0 1.0",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        True,
    ),
    (
        "odc-odbl",
        "Open Data Commons Open Database License (ODbL)",
        "https://opendatacommons.org/licenses/odbl/1-0/",
        True,
    ),
    (
        "odc-by",
        "Open Data Commons Attribution License",
        "https://opendatacommons.org/licenses/by/1-0/",
        True,
    ),
    (
        "odc-pddl",
        "Open Data Commons Public Domain Dedication and License",
        "https://opendatacommons.org/licenses/pddl/1-0/",
        True,
    ),
    ("apache-2.0", "Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0", True),
    (
        "uk-ogl",
        "UK Open Government Licence (OGL)",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        True,
    ),
    ("other-open", "Otra licencia abierta", "", True),
    ("notspecified", "Licencia no especificada", "", False),
]


def ensure_standard(licence_model) -> None:
    """Create the standard licences that are missing (never changes an existing one)."""
    existing = set(licence_model.objects.values_list("key", flat=True))
    licence_model.objects.bulk_create(
        [
            licence_model(key=key, title=title, url=url, is_open=is_open)
            for key, title, url, is_open in STANDARD
            if key not in existing
        ],
        ignore_conflicts=True,
    )
