"""The `datastore` database alias holds only the tables the datastore writes itself (schema.py).

Django's own models (the load jobs included) stay in `default`; nothing is migrated into
`datastore`, which with PostgreSQL may be the very same database.
"""

from __future__ import annotations

ALIAS = "datastore"


class DatastoreRouter:
    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        return False if db == ALIAS else None
