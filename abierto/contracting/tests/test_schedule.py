from __future__ import annotations

import datetime as dt
import http.server
import io
import threading
from functools import partial

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from abierto.contracting import schedule, services
from abierto.contracting.models import Import, Record
from abierto.contracting.tasks import build_bulk
from abierto.contracting.tests.conftest import SAMPLES

SAMPLE = "mexico-cdmx-release-package.json"


@pytest.fixture
def http_server():
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(SAMPLES))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def scheduled(cdmx, http_server, settings):
    settings.CONTRACTING_ALLOW_PRIVATE_URLS = True
    return services.publisher_save(
        actor=None, publisher=cdmx, endpoint_url=http_server + SAMPLE, import_frequency="daily"
    )


def _finished(publisher, ago: dt.timedelta, *, source=Import.Source.SCHEDULE, status="done"):
    import_ = services.import_create(actor=None, publisher=publisher, source=source)
    Import.objects.filter(pk=import_.pk).update(status=status, finished_at=timezone.now() - ago)
    return import_


def _due(**kwargs) -> list[str]:
    return [p.ocid_prefix for p in schedule.due_publishers(**kwargs)]


def test_a_daily_publisher_is_due_a_day_after_its_last_url_import(scheduled):
    assert _due() == ["ocds-87sd3t"], "never imported: due at once"
    _finished(scheduled, dt.timedelta(hours=2))
    assert _due() == []
    # A cron run a few minutes early still finds it due (an hour of slack).
    assert _due(now=timezone.now() + dt.timedelta(hours=21, minutes=50)) == ["ocds-87sd3t"]
    assert _due(now=timezone.now() + dt.timedelta(hours=20)) == []


def test_a_failed_import_counts_as_a_run_and_an_upload_does_not(scheduled, tmp_path):
    _finished(scheduled, dt.timedelta(hours=30))
    assert _due() == ["ocds-87sd3t"]
    _finished(scheduled, dt.timedelta(hours=3), status=Import.Status.FAILED)
    assert _due() == []
    services.publisher_save(actor=None, publisher=scheduled, import_frequency="weekly")
    _finished(scheduled, dt.timedelta(days=8), source=Import.Source.URL)
    assert _due() == []  # the failed run 3 h ago is the last one
    Import.objects.filter(finished_at__gt=timezone.now() - dt.timedelta(days=7)).delete()
    assert _due() == ["ocds-87sd3t"]
    # An upload reads no endpoint: it does not put the schedule off.
    upload = tmp_path / "x.json"
    upload.write_text('{"releases": []}')
    services.import_file(actor=None, publisher=scheduled, path=str(upload))
    assert _due() == ["ocds-87sd3t"]


def test_manual_publishers_and_those_without_endpoint_are_never_due(scheduled, jalisco):
    services.publisher_save(actor=None, publisher=jalisco, import_frequency="daily")
    assert _due() == ["ocds-87sd3t"]  # Jalisco has no endpoint
    services.publisher_save(actor=None, publisher=scheduled, import_frequency="manual")
    assert _due() == []


def test_import_due_reads_the_endpoint_now_and_then_waits_for_the_interval(scheduled):
    out = io.StringIO()
    call_command("import_ocds", "--due", stdout=out)
    assert "ocds-87sd3t: import #" in out.getvalue()
    assert "12 stored" in out.getvalue()
    import_ = Import.objects.get(publisher=scheduled)
    assert import_.source == Import.Source.SCHEDULE
    assert import_.status == Import.Status.DONE
    assert Record.objects.filter(publisher=scheduled).exists()
    # Its new releases queue the rebuild of their years' bulk files.
    assert DBTaskResult.objects.filter(task_path=build_bulk.module_path).count() == 1
    out = io.StringIO()
    call_command("import_ocds", "--due", stdout=out)
    assert out.getvalue().strip() == "No publisher is due."
    assert Import.objects.filter(publisher=scheduled).count() == 1


def test_import_due_skips_a_publisher_whose_import_is_already_running(scheduled):
    running = services.import_create(actor=None, publisher=scheduled, source=Import.Source.URL)
    Import.objects.filter(pk=running.pk).update(status=Import.Status.RUNNING)
    out = io.StringIO()
    call_command("import_ocds", "--due", stdout=out)
    assert f"import #{running.pk} is already under way; skipped" in out.getvalue()
    assert Import.objects.filter(publisher=scheduled).count() == 1
    # One left running by a crashed worker hours ago no longer blocks the schedule.
    Import.objects.filter(pk=running.pk).update(created_at=timezone.now() - dt.timedelta(hours=7))
    call_command("import_ocds", "--due", stdout=io.StringIO())
    assert Import.objects.filter(publisher=scheduled, status=Import.Status.DONE).count() == 1


def test_import_due_reports_an_endpoint_that_fails(scheduled, http_server):
    services.publisher_save(actor=None, publisher=scheduled, endpoint_url=http_server + "nada.json")
    with pytest.raises(CommandError, match="Failed: ocds-87sd3t"):
        call_command("import_ocds", "--due", stdout=io.StringIO(), stderr=io.StringIO())
    failed = Import.objects.get(publisher=scheduled)
    assert failed.status == Import.Status.FAILED and failed.error
    assert _due() == []  # tried: the next attempt waits for the interval


def test_due_takes_no_other_argument(db):
    with pytest.raises(CommandError, match="--due takes no"):
        call_command("import_ocds", "--due", "--publisher", "ocds-87sd3t")
    with pytest.raises(CommandError, match="--publisher"):
        call_command("import_ocds", "--url")
