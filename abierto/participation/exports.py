"""The columns of the participation downloads published as datasets (events, proposals).

The views read their values through `declared_columns`; the catalog publishes the same
declarations as the data dictionaries of the platform's own datasets (catalog/feeds.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from abierto.core.exports import Declared

SOURCE = Declared(
    "fuente", "text", _("Fuente"), _("Documento o referencia pública de donde proviene el dato.")
)

EVENT_COLUMNS = (
    Declared("titulo", "text", _("Título"), _("Nombre del evento.")),
    Declared("slug", "text", _("Clave"), _("Clave del evento en las direcciones.")),
    Declared("tipo", "text", _("Tipo"), _("Tipo de evento: jornada, panel, taller, feria…")),
    Declared("tipo_clave", "text", _("Clave del tipo"), _("El tipo de evento como clave estable.")),
    Declared(
        "fecha",
        "date",
        _("Fecha"),
        _("Fecha del evento (si solo se conoce el mes o el año, su primer día)."),
    ),
    Declared(
        "fecha_precision",
        "text",
        _("Precisión de la fecha"),
        _("Qué tanto se conoce la fecha: day (día), month (mes) o year (año)."),
    ),
    Declared("lugar", "text", _("Lugar"), _("Dónde se celebró el evento.")),
    Declared("organiza", "text", _("Organiza"), _("Institución u organización que lo organizó.")),
    Declared("participantes", "int", _("Participantes"), _("Número de participantes.")),
    Declared(
        "participantes_cifra_minima",
        "bool",
        _("Cifra mínima"),
        _("Si el número de participantes es una cifra mínima («más de…»): «sí» o «no» en CSV."),
    ),
    Declared("visitantes", "int", _("Visitantes"), _("Número de visitantes, cuando se contó.")),
    Declared("parte_de", "text", _("Parte de"), _("Evento mayor del que forma parte.")),
    Declared("plan", "text", _("Plan"), _("Plan de Acción Local con el que se relaciona.")),
    Declared("laboratorio", "text", _("Laboratorio"), _("Laboratorio de co-creación relacionado.")),
    Declared("compromiso", "text", _("Compromiso"), _("Compromiso con el que se relaciona.")),
    SOURCE,
    Declared("url", "text", _("Página"), _("Página del evento en la plataforma.")),
)

PROPOSAL_COLUMNS = (
    Declared("id", "int", _("Identificador"), _("Número único de la propuesta.")),
    Declared("inciso", "text", _("Inciso"), _("Inciso con que se registró en su taller.")),
    Declared("titulo", "text", _("Título"), _("Título de la propuesta.")),
    Declared("descripcion", "text", _("Descripción"), _("Texto de la propuesta.")),
    Declared("origen", "text", _("Origen"), _("De dónde viene: un taller o la ciudadanía.")),
    Declared(
        "autor", "text", _("Autor"), _("Nombre público de quien la propuso (nunca su correo).")
    ),
    Declared("laboratorio", "text", _("Laboratorio"), _("Laboratorio de co-creación.")),
    Declared("sede", "text", _("Sede"), _("Sede del taller en que se propuso.")),
    Declared("tema", "text", _("Tema"), _("Tema de política pública de la propuesta.")),
    Declared("estado", "text", _("Estado"), _("Estado de la propuesta en la co-creación.")),
    Declared("estado_clave", "text", _("Clave del estado"), _("El estado como clave estable.")),
    Declared("motivo", "text", _("Motivo"), _("Por qué se aceptó, fusionó o descartó.")),
    Declared(
        "compromiso",
        "text",
        _("Compromiso"),
        _("Compromiso del plan en que se convirtió; vacío si no se convirtió en uno."),
    ),
    Declared("apoyos", "int", _("Apoyos"), _("Número de apoyos ciudadanos recibidos.")),
    Declared("comentarios", "int", _("Comentarios"), _("Número de comentarios publicados.")),
    Declared(
        "fecha",
        "timestamp",
        _("Fecha"),
        _("Fecha y hora de registro de la propuesta (ISO 8601)."),
    ),
    SOURCE,
    Declared("url", "text", _("Página"), _("Página de la propuesta en la plataforma.")),
)
