"""The columns of the STL's downloads (members, sessions, agreements), declared once.

The views read their values through `declared_columns`; the catalog publishes the same
declarations as the data dictionaries of the platform's own datasets (catalog/feeds.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from abierto.core.exports import Declared

SOURCE = Declared(
    "fuente", "text", _("Fuente"), _("Documento o referencia pública de donde proviene el dato.")
)

MEMBER_COLUMNS = (
    Declared("lugar", "text", _("Lugar"), _("Nombre del lugar (asiento) en el STL.")),
    Declared(
        "sector",
        "text",
        _("Sector"),
        _("Sector al que corresponde el lugar (gobierno, sociedad civil…)."),
    ),
    Declared(
        "preside",
        "bool",
        _("Preside"),
        _("Si el lugar preside el STL («sí» o «no» en CSV; true o false en JSON)."),
    ),
    Declared("calidad", "text", _("Calidad"), _("Titular o suplente.")),
    Declared(
        "estado",
        "text",
        _("Estado"),
        _(
            "Situación del lugar: «vigente» o «vacante»; en el historial, el motivo por el que "
            "la persona dejó el cargo."
        ),
    ),
    Declared(
        "integrante",
        "text",
        _("Integrante"),
        _("Nombre de la persona que ocupa el lugar; vacío si está vacante."),
    ),
    Declared("cargo", "text", _("Cargo"), _("Cargo de la persona en su institución.")),
    Declared(
        "institucion", "text", _("Institución"), _("Institución u organización que representa.")
    ),
    Declared("inicio", "date", _("Inicio"), _("Fecha en que la persona asumió el lugar.")),
    Declared(
        "termino",
        "date",
        _("Término"),
        _("Fecha en que la persona dejó el lugar; vacía si sigue en él."),
    ),
    SOURCE,
)

SESSION_COLUMNS = (
    Declared("tipo", "text", _("Tipo"), _("Sesión ordinaria o extraordinaria.")),
    Declared("numero", "int", _("Número"), _("Número de la sesión dentro de su tipo.")),
    Declared("sesion", "text", _("Sesión"), _("Nombre de la sesión.")),
    Declared(
        "fecha",
        "text",
        _("Fecha (texto)"),
        _("Fecha de la sesión como se conoce: día, mes o solo año."),
    ),
    Declared(
        "fecha_iso",
        "date",
        _("Fecha"),
        _("Fecha de la sesión en ISO 8601 (si solo se conoce el mes o el año, su primer día)."),
    ),
    Declared("lugar", "text", _("Lugar"), _("Dónde se celebró la sesión.")),
    Declared("asistencia", "int", _("Asistencia"), _("Número de personas asistentes.")),
    Declared("resumen", "text", _("Resumen"), _("Resumen de lo tratado en la sesión.")),
    Declared("acuerdos", "int", _("Acuerdos"), _("Número de acuerdos tomados en la sesión.")),
    SOURCE,
    Declared("url", "text", _("Página"), _("Dirección de la sesión en la plataforma.")),
)

AGREEMENT_COLUMNS = (
    Declared("sesion", "text", _("Sesión"), _("Sesión en que se tomó el acuerdo.")),
    Declared(
        "sesion_fecha",
        "text",
        _("Fecha de la sesión"),
        _("Fecha de la sesión como se conoce: día, mes o solo año."),
    ),
    Declared("numero", "int", _("Número"), _("Número del acuerdo dentro de la sesión.")),
    Declared("acuerdo", "text", _("Acuerdo"), _("Texto del acuerdo.")),
    Declared("responsable", "text", _("Responsable"), _("Quién debe cumplir el acuerdo.")),
    Declared(
        "fecha_compromiso",
        "date",
        _("Fecha comprometida"),
        _("Fecha en que el acuerdo debe estar cumplido."),
    ),
    Declared(
        "estado", "text", _("Estado"), _("Estado del acuerdo: pendiente, en proceso, cumplido…")
    ),
    Declared("seguimiento", "text", _("Seguimiento"), _("Notas de seguimiento del acuerdo.")),
    Declared(
        "fecha_cumplimiento",
        "date",
        _("Fecha de cumplimiento"),
        _("Fecha en que se cumplió el acuerdo; vacía si no se ha cumplido."),
    ),
)
