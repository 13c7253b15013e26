from __future__ import annotations

import datetime as dt

import factory

from abierto.core.factories import ExerciseFactory, OrganizationFactory
from abierto.secretariat.models import Agreement, Liaison, Membership, Seat, Secretariat, Session


class SecretariatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Secretariat

    exercise = factory.SubFactory(ExerciseFactory)
    name = factory.LazyAttribute(lambda o: f"STL {o.exercise.jurisdiction.name}")


class SeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seat

    secretariat = factory.SubFactory(SecretariatFactory)
    name = factory.Sequence(lambda n: f"Sector {n}")
    sector = "executive"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    seat = factory.SubFactory(SeatFactory)
    role = Membership.Role.TITULAR
    person_name = factory.Sequence(lambda n: f"Integrante {n}")
    post = "Titular de la dependencia"
    start_on = dt.date(2016, 1, 1)


class LiaisonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Liaison

    secretariat = factory.SubFactory(SecretariatFactory)
    organization = factory.SubFactory(OrganizationFactory)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    secretariat = factory.SubFactory(SecretariatFactory)
    kind = Session.Kind.ORDINARY
    number = factory.Sequence(lambda n: n + 1)
    held_on = dt.date(2017, 8, 1)
    place = "Instituto de Transparencia"


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    session = factory.SubFactory(SessionFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "Se aprueba el proyecto."
