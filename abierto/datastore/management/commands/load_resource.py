"""Load a resource's file into the datastore now, in this process, printing the progress."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from abierto.catalog.models import Resource
from abierto.datastore import services
from abierto.datastore.models import Load


class Command(BaseCommand):
    help = "Carga el archivo de un recurso al almacén de datos (sin esperar al worker)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("resource", nargs="?", help="UUID del recurso (su id en la API CKAN)")
        parser.add_argument(
            "--all",
            action="store_true",
            help="Todos los recursos marcados en el almacén (tras restaurar un respaldo: los "
            "respaldos guardan los archivos, no las tablas).",
        )

    def handle(self, *args, resource: str | None, all: bool, **options) -> None:  # noqa: A002
        if all:
            for resource_obj in Resource.objects.active().filter(datastore_active=True):
                if services.is_loadable(resource_obj):
                    self._load(resource_obj)
            return
        if not resource:
            raise CommandError("Indique el UUID de un recurso, o --all.")
        try:
            resource_obj = Resource.objects.select_related("dataset").get(uuid=resource)
        except (Resource.DoesNotExist, ValidationError):
            raise CommandError(f"No existe el recurso {resource}.") from None
        self._load(resource_obj)

    def _load(self, resource_obj: Resource) -> None:
        try:
            load, created = services.create_load(resource=resource_obj, actor=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if not created:
            raise CommandError(f"El recurso ya tiene una carga en curso (#{load.pk}).")
        load = services.run_load(load.pk, echo=self._echo)
        if load.status == Load.Status.FAILED:
            error = load.error or {}
            where = ", ".join(
                f"{key} {error[key]}" for key in ("row", "column", "value") if error.get(key)
            )
            raise CommandError(f"{error.get('message')}" + (f" ({where})" if where else ""))
        self.stdout.write(
            self.style.SUCCESS(f"{load.rows_loaded:,} filas cargadas en «{resource_obj.uuid}».")
        )

    def _echo(self, load: Load) -> None:
        percent = round(load.fraction * 100)
        rate = f", {load.rate:,.0f} filas/s" if load.rate else ""
        self.stdout.write(
            f"{load.get_phase_display()}: {percent} %, {load.rows_loaded:,} filas{rate}"
        )
