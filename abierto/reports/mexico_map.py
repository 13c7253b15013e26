"""A tile-grid map of Mexico: each state a labelled square placed roughly where it lies.

No geodata and no map tiles: the map must draw on a closed network and print. Each state
is one square in an approximate geographic grid (column, row), keyed by its INEGI code. The
square's colour gives the state's stage, and so do its short label and, for the states
without an exercise, a hatch pattern: colour is never the only cue. The SVG is an image with
a title and a description; the states table on the same page is its text alternative.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from abierto.reports.national import NO_EXERCISE, StateRow, stage_label

# INEGI code: (abbreviation, column, row). Ten columns, five rows, north-west to south-east.
GRID: dict[str, tuple[str, int, int]] = {
    "02": ("BC", 0, 0),
    "26": ("SON", 1, 0),
    "08": ("CHIH", 2, 0),
    "05": ("COAH", 3, 0),
    "19": ("NL", 4, 0),
    "03": ("BCS", 0, 1),
    "25": ("SIN", 1, 1),
    "10": ("DGO", 2, 1),
    "32": ("ZAC", 3, 1),
    "24": ("SLP", 4, 1),
    "28": ("TAMPS", 5, 1),
    "18": ("NAY", 1, 2),
    "01": ("AGS", 2, 2),
    "11": ("GTO", 3, 2),
    "22": ("QRO", 4, 2),
    "13": ("HGO", 5, 2),
    "30": ("VER", 6, 2),
    "31": ("YUC", 8, 2),
    "14": ("JAL", 1, 3),
    "16": ("MICH", 2, 3),
    "15": ("MEX", 3, 3),
    "09": ("CDMX", 4, 3),
    "29": ("TLAX", 5, 3),
    "21": ("PUE", 6, 3),
    "27": ("TAB", 7, 3),
    "04": ("CAMP", 8, 3),
    "23": ("QROO", 9, 3),
    "06": ("COL", 1, 4),
    "12": ("GRO", 3, 4),
    "17": ("MOR", 4, 4),
    "20": ("OAX", 5, 4),
    "07": ("CHIS", 6, 4),
}

# Stage: (fill, text colour, short mark). A sequential blue scale, ≥3:1 between steps and
# white; the mark says the stage in the square itself.
STAGE_STYLE: dict[str, tuple[str, str, str]] = {
    NO_EXERCISE: ("#ffffff", "#1a1a1a", "—"),
    "exercise": ("#c6dbef", "#1a1a1a", "E"),
    "stl_installed": ("#6baed6", "#1a1a1a", "STL"),
    "plan_published": ("#2171b5", "#ffffff", "PAL"),
    "second_cycle_pending": ("#08306b", "#ffffff", "PAL²"),
}
LEGEND_ORDER = [NO_EXERCISE, "exercise", "stl_installed", "plan_published", "second_cycle_pending"]

TILE, GAP = 58, 6
COLUMNS, ROWS = 10, 5

_ids = itertools.count(1)


def tile_origin(code: str) -> tuple[int, int]:
    """The top-left corner of a state's square."""
    _abbr, column, row = GRID[code]
    return column * (TILE + GAP), row * (TILE + GAP)


def legend_swatch(stage: str) -> SafeString:
    """A small square as the map draws `stage`, for the legend (decorative)."""
    fill, _ink, mark = STAGE_STYLE[stage]
    return format_html(
        '<svg class="swatch" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" '
        'focusable="false"><rect x="0.5" y="0.5" width="23" height="23" fill="{}" '
        'stroke="#1a1a1a"/></svg>',
        fill,
    )


def stage_mark(stage: str) -> str:
    """The short label a square carries for `stage` (E, STL, PAL, PAL²)."""
    return STAGE_STYLE[stage][2]


def _tile(row: StateRow, pattern_id: str) -> SafeString:
    abbr, _column, _row = GRID[row.code]
    x, y = tile_origin(row.code)
    fill, ink, mark = STAGE_STYLE[row.stage]
    name = _("%(state)s: %(stage)s") % {"state": row.name, "stage": stage_label(row.stage)}
    hatch = (
        format_html(
            '<rect x="{x}" y="{y}" width="{s}" height="{s}" fill="url(#{p})"/>',
            x=x,
            y=y,
            s=TILE,
            p=pattern_id,
        )
        if row.stage == NO_EXERCISE
        else ""
    )
    body = format_html(
        '<title>{name}</title><rect x="{x}" y="{y}" width="{s}" height="{s}" fill="{fill}" '
        'stroke="#1a1a1a" stroke-width="1"/>{hatch}'
        '<text x="{cx}" y="{ty}" text-anchor="middle" font-size="13" font-weight="bold" '
        'fill="{ink}">{abbr}</text>'
        '<text x="{cx}" y="{my}" text-anchor="middle" font-size="11" fill="{ink}">{mark}</text>',
        name=name,
        x=x,
        y=y,
        s=TILE,
        fill=fill,
        hatch=hatch,
        cx=x + TILE // 2,
        ty=y + 24,
        my=y + 42,
        ink=ink,
        abbr=abbr,
        mark=mark,
    )
    # No links inside: the map is one image (role="img"); the states table links each state.
    return format_html(
        '<g class="map-state" data-inegi="{code}">{body}</g>', code=row.code, body=body
    )


def tile_map(rows: Sequence[StateRow], *, title: str, description: str) -> SafeString:
    """The SVG tile map of `rows` (a state not in GRID is left out)."""
    uid = f"mapa-{next(_ids)}"
    pattern_id = f"{uid}-sin"
    width = COLUMNS * (TILE + GAP) - GAP
    height = ROWS * (TILE + GAP) - GAP
    tiles = format_html_join(
        "",
        "{}",
        ((_tile(row, pattern_id),) for row in rows if row.code in GRID),
    )
    return format_html(
        '<svg class="chart tile-map" viewBox="-1 -1 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{uid}-t {uid}-d"><title id="{uid}-t">{title}</title>'
        '<desc id="{uid}-d">{desc}</desc>'
        '<defs><pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" stroke="#8a8a8a" '
        'stroke-width="2"/></pattern></defs>{tiles}</svg>',
        uid=uid,
        w=width + 2,
        h=height + 2,
        title=title,
        desc=description,
        pid=pattern_id,
        tiles=tiles,
    )


def map_description(rows: Sequence[StateRow]) -> str:
    """The map's content in sentences, for its <desc>: the states at each stage."""
    parts = []
    for stage in reversed(LEGEND_ORDER):
        names = [row.name for row in rows if row.stage == stage]
        if names:
            parts.append(f"{stage_label(stage)} ({len(names)}): {', '.join(names)}.")
    return " ".join(parts)
