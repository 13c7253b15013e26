"""Django's JSON serialisation, with times to the microsecond (for backups).

DjangoJSONEncoder cuts datetimes and times to milliseconds (ECMA-262's format). A backup must
give back every value as stored: the audit log and the progress timeline are ordered by
those timestamps. The output is still plain Django JSON; `loaddata` reads it as `.json`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.serializers import json as django_json
from django.core.serializers.json import DjangoJSONEncoder

FORMAT = "abierto-exact-json"


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, dt.time):
            return o.isoformat()
        return super().default(o)


class Serializer(django_json.Serializer):
    def _init_options(self) -> None:
        super()._init_options()
        self.json_kwargs["cls"] = ExactJSONEncoder


Deserializer = django_json.Deserializer
