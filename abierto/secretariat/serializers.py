"""REST serializers of the Local Technical Secretariat."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from abierto.core.serializers import DocumentSerializer
from abierto.secretariat.models import Agreement, Liaison, Membership, Seat, Secretariat, Session


class MembershipSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:membership-detail")
    secretariat = serializers.IntegerField(source="seat.secretariat_id", read_only=True)
    seat_name = serializers.CharField(source="seat.name", read_only=True)
    sector = serializers.CharField(source="seat.sector", read_only=True)
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    is_current = serializers.BooleanField(read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "url",
            "secretariat",
            "seat",
            "seat_name",
            "sector",
            "role",
            "person_name",
            "post",
            "organization",
            "start_on",
            "end_on",
            "end_reason",
            "is_current",
            "source",
        ]


class CurrentHolderSerializer(serializers.ModelSerializer):
    """Who holds a seat now, in one role."""

    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "person_name", "post", "organization", "start_on"]


class SeatSerializer(serializers.ModelSerializer):
    """A seat with its current titular and suplente; `vacant` when no titular holds it now.

    Expects `current_memberships` prefetched (see `SeatViewSet` and `SecretariatViewSet`).
    """

    url = serializers.HyperlinkedIdentityField(view_name="api:seat-detail")
    titular = serializers.SerializerMethodField()
    suplente = serializers.SerializerMethodField()
    vacant = serializers.SerializerMethodField()

    class Meta:
        model = Seat
        fields = [
            "id",
            "url",
            "secretariat",
            "name",
            "sector",
            "position",
            "is_chair",
            "titular",
            "suplente",
            "vacant",
        ]

    def _holder(self, seat: Seat, role: str) -> Membership | None:
        return next((m for m in seat.current_memberships if m.role == role), None)

    @extend_schema_field(CurrentHolderSerializer(allow_null=True))
    def get_titular(self, seat: Seat) -> dict | None:
        holder = self._holder(seat, Membership.Role.TITULAR)
        return CurrentHolderSerializer(holder).data if holder else None

    @extend_schema_field(CurrentHolderSerializer(allow_null=True))
    def get_suplente(self, seat: Seat) -> dict | None:
        holder = self._holder(seat, Membership.Role.ALTERNATE)
        return CurrentHolderSerializer(holder).data if holder else None

    def get_vacant(self, seat: Seat) -> bool:
        return self._holder(seat, Membership.Role.TITULAR) is None


class SecretariatSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:secretariat-detail")
    exercise = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    invited_municipalities = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    seats = SeatSerializer(many=True, read_only=True)

    class Meta:
        model = Secretariat
        fields = [
            "id",
            "url",
            "exercise",
            "name",
            "installed_on",
            "installed_on_precision",
            "purpose",
            "invited_municipalities",
            "seats",
        ]


class LiaisonSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:liaison-detail")
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Liaison
        fields = ["id", "url", "secretariat", "organization", "person_name", "position"]


class AgreementSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:agreement-detail")
    secretariat = serializers.IntegerField(source="session.secretariat_id", read_only=True)

    class Meta:
        model = Agreement
        fields = [
            "id",
            "url",
            "secretariat",
            "session",
            "number",
            "text",
            "responsible",
            "due_on",
            "status",
            "follow_up",
            "done_on",
        ]


class SessionAgreementSerializer(serializers.ModelSerializer):
    """An agreement inside its session."""

    url = serializers.HyperlinkedIdentityField(view_name="api:agreement-detail")

    class Meta:
        model = Agreement
        fields = ["id", "url", "number", "text", "responsible", "due_on", "status", "done_on"]


class SessionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:session-detail")
    title = serializers.CharField(read_only=True)
    agreements = SessionAgreementSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "url",
            "secretariat",
            "kind",
            "number",
            "title",
            "held_on",
            "held_on_precision",
            "place",
            "attendance",
            "summary",
            "source",
            "agreements",
            "documents",
        ]
