"""Demo data: Jalisco's real 2018 OCDS packages (abierto/demo/contracting/), imported for real.

Idempotent: a file already imported for the publisher (same SHA-256) is skipped, and releases
are de-duplicated by (ocid, id) anyway.
"""

from __future__ import annotations

from pathlib import Path

from abierto.contracting import importing, services
from abierto.contracting.models import Import, Publisher
from abierto.core.demo import DemoDataError, Tally

PREFIX = "ocds-xs1qbl"
NAME = "Gobierno del Estado de Jalisco, SEPAF/DGA"


def load_demo(root: Path | str) -> Tally:
    tally = Tally()
    folder = Path(root) / "contracting"
    if not folder.is_dir():
        return tally
    files = sorted(folder.glob("release-packages/*.json")) + sorted(
        folder.glob("record-packages/*.json")
    )
    publisher = Publisher.objects.filter(ocid_prefix=PREFIX).first()
    if publisher is None:
        publisher = services.publisher_save(actor=None, name=NAME, ocid_prefix=PREFIX)
        tally["contracting.Publisher", "created"] += 1
    else:
        tally["contracting.Publisher", "unchanged"] += 1
    done = set(publisher.imports.filter(status=Import.Status.DONE).values_list("sha256", flat=True))
    for path in files:
        if importing.file_sha256(str(path)) in done:
            tally["contracting.Import", "unchanged"] += 1
            continue
        import_ = services.import_file(actor=None, publisher=publisher, path=str(path))
        if import_.status != Import.Status.DONE:
            raise DemoDataError(str(path.relative_to(root)), "", import_.error)
        tally["contracting.Import", "created"] += 1
        tally["contracting.Release", "created"] += import_.releases_stored
        tally["contracting.Record", "updated"] += import_.records_compiled
    return tally
