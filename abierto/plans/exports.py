"""The columns of the plans' downloads (plans, commitments, milestones, progress), declared once.

The views read their values through `declared_columns`; the catalog publishes the same
declarations as the data dictionaries of the platform's own datasets (catalog/feeds.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from abierto.core.exports import Declared

PLAN_COLUMNS = (
    Declared("titulo", "text", _("Título"), _("Nombre del Plan de Acción Local.")),
    Declared("slug", "text", _("Clave"), _("Clave del plan en las direcciones de la plataforma.")),
    Declared("ciclo", "int", _("Ciclo"), _("Número del ciclo de Gobierno Abierto del ejercicio.")),
    Declared("anio_inicio", "int", _("Año de inicio"), _("Primer año del periodo del plan.")),
    Declared("anio_termino", "int", _("Año de término"), _("Último año del periodo del plan.")),
    Declared("estado", "text", _("Estado"), _("Etapa del plan: en elaboración, en curso…")),
    Declared(
        "presentacion",
        "text",
        _("Presentación"),
        _("Fecha en que se presentó el plan, como se conoce: día, mes o solo año."),
    ),
    Declared("compromisos", "int", _("Compromisos"), _("Número de compromisos del plan.")),
    Declared(
        "compromisos_completos",
        "int",
        _("Compromisos cumplidos"),
        _("Compromisos cuyo nivel de cumplimiento es «completo»."),
    ),
    Declared(
        "avance_porcentaje",
        "numeric",
        _("Avance (%)"),
        _("Avance ponderado del plan, de 0 a 100, según el peso y el avance de cada meta."),
    ),
    Declared("url", "text", _("Página"), _("Tablero de monitoreo del plan en la plataforma.")),
)

COMMITMENT_COLUMNS = (
    Declared("numero", "int", _("Número"), _("Número del compromiso en el plan.")),
    Declared("compromiso", "text", _("Compromiso"), _("Título del compromiso.")),
    Declared("slug", "text", _("Clave"), _("Clave del compromiso en las direcciones.")),
    Declared("tema", "text", _("Tema"), _("Tema de política pública del compromiso.")),
    Declared(
        "pilares",
        "text",
        _("Pilares"),
        _("Pilares de Gobierno Abierto que atiende, separados por « | » en CSV (lista en JSON)."),
    ),
    Declared(
        "implementadores",
        "text",
        _("Implementadores"),
        _("Instituciones responsables, separadas por « | » en CSV (lista en JSON)."),
    ),
    Declared(
        "organizaciones_sociedad_civil",
        "text",
        _("Organizaciones de la sociedad civil"),
        _(
            "Organizaciones que acompañan el compromiso, separadas por « | » en CSV (lista en "
            "JSON)."
        ),
    ),
    Declared(
        "nivel_cumplimiento",
        "text",
        _("Nivel de cumplimiento"),
        _("Nivel de cumplimiento como en las revisiones de la Alianza para el Gobierno Abierto."),
    ),
    Declared(
        "nivel_cumplimiento_clave",
        "text",
        _("Clave del nivel de cumplimiento"),
        _("El nivel de cumplimiento como clave estable: not_started, limited, substantial…"),
    ),
    Declared(
        "avance_porcentaje",
        "numeric",
        _("Avance (%)"),
        _("Avance ponderado de las metas del compromiso, de 0 a 100; vacío si no tiene metas."),
    ),
    Declared("metas", "int", _("Metas"), _("Número de metas del compromiso.")),
    Declared(
        "con_retraso",
        "bool",
        _("Con retraso"),
        _("Si alguna meta pasó su fecha límite sin completarse («sí» o «no» en CSV)."),
    ),
    Declared("inicio", "date", _("Inicio"), _("Fecha de inicio del compromiso.")),
    Declared("termino", "date", _("Término"), _("Fecha de término del compromiso.")),
    Declared("url", "text", _("Página"), _("Página del compromiso en la plataforma.")),
)

MILESTONE_COLUMNS = (
    Declared("compromiso_numero", "int", _("Número del compromiso"), _("Número del compromiso.")),
    Declared("compromiso", "text", _("Compromiso"), _("Título del compromiso de la meta.")),
    Declared("meta_numero", "int", _("Número de la meta"), _("Orden de la meta en su compromiso.")),
    Declared("meta", "text", _("Meta"), _("Descripción de la meta.")),
    Declared(
        "peso",
        "int",
        _("Peso"),
        _("Peso de la meta en el avance ponderado de su compromiso."),
    ),
    Declared("inicio", "date", _("Inicio"), _("Fecha de inicio de la meta.")),
    Declared("fecha_limite", "date", _("Fecha límite"), _("Fecha en que la meta debe cumplirse.")),
    Declared(
        "estado", "text", _("Estado"), _("Estado de la meta: pendiente, en curso, cancelada…")
    ),
    Declared(
        "avance_porcentaje",
        "int",
        _("Avance (%)"),
        _("Último porcentaje de avance reportado, de 0 a 100 (0 si no hay reportes)."),
    ),
    Declared(
        "vencida",
        "bool",
        _("Vencida"),
        _("Si pasó su fecha límite sin llegar al 100 % ni cancelarse («sí» o «no» en CSV)."),
    ),
)

UPDATE_COLUMNS = (
    Declared("id", "int", _("Identificador"), _("Número único del reporte de avance.")),
    Declared("compromiso_numero", "int", _("Número del compromiso"), _("Número del compromiso.")),
    Declared("compromiso", "text", _("Compromiso"), _("Título del compromiso.")),
    Declared("meta_numero", "int", _("Número de la meta"), _("Orden de la meta en su compromiso.")),
    Declared("meta", "text", _("Meta"), _("Descripción de la meta reportada.")),
    Declared(
        "avance_porcentaje",
        "int",
        _("Avance (%)"),
        _("Porcentaje de avance reportado, de 0 a 100."),
    ),
    Declared(
        "fecha_reporte",
        "timestamp",
        _("Fecha del reporte"),
        _("Fecha y hora del reporte (ISO 8601, hora local con su desfase)."),
    ),
    Declared(
        "reportado_por",
        "text",
        _("Reportado por"),
        _("Nombre público de quien reportó (implementador)."),
    ),
    Declared(
        "descripcion", "text", _("Descripción"), _("Qué se hizo, en palabras de quien reporta.")
    ),
    Declared(
        "corrige_a",
        "int",
        _("Corrige a"),
        _("Identificador del reporte que este corrige (los reportes nunca se editan)."),
    ),
    Declared(
        "validaciones_confirmadas",
        "int",
        _("Validaciones que confirman"),
        _("Validaciones de la sociedad civil que confirman el avance."),
    ),
    Declared(
        "validaciones_objetadas",
        "int",
        _("Validaciones que objetan"),
        _("Validaciones de la sociedad civil que objetan el avance."),
    ),
    Declared(
        "evidencias",
        "text",
        _("Evidencias"),
        _("Direcciones de las evidencias, separadas por « | » en CSV (lista en JSON)."),
    ),
)
