"""REST endpoint of the national view: read-only, anonymous."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from abierto.reports.national import national_overview
from abierto.reports.serializers import NationalOverviewSerializer


class NationalView(APIView):
    """The national view: figures with their sources, every state's stage, themes."""

    permission_classes = [AllowAny]
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        operation_id="national_retrieve",
        summary="Vista nacional",
        description=(
            "Cifras nacionales (con su fuente), la etapa de cada entidad federativa, las que aún "
            "no se suman y los compromisos por tema. Un total reportado sustituye a los registros "
            "fechados hasta su fecha; los posteriores se suman."
        ),
        responses=NationalOverviewSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response(NationalOverviewSerializer(national_overview()).data)
