"""Settings for the benchmarks: the platform's own, plus a minimal JSON view as a baseline.

The baseline goes through exactly the same middleware stack, database configuration and
server as the pages measured, so the ratio between the two isolates what the page itself
costs (queries, templates, serialization).
"""

import os

from abierto.settings import *  # noqa: F403
from abierto.settings import VAR_DIR

ROOT_URLCONF = "bench.urls"
DEBUG = False
# Keep the benchmark's collected static files apart from the ones of a development tree.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or str(VAR_DIR / "bench" / "static")
