"""factory_boy factories shared by every app's tests and by the benchmark generator."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from abierto.core.models import Document, Exercise, Jurisdiction, Organization, User


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("inegi_code",)

    inegi_code = factory.Sequence(lambda n: f"{(n % 32) + 1:02d}")
    name = factory.LazyAttribute(lambda o: f"Entidad {o.inegi_code}")
    slug = factory.LazyAttribute(lambda o: f"entidad-{o.inegi_code}")
    kind = Jurisdiction.Kind.STATE


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Dependencia {n}")
    slug = factory.Sequence(lambda n: f"dependencia-{n}")
    sector = Organization.Sector.EXECUTIVE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"persona{n}")
    first_name = "Persona"
    last_name = factory.Sequence(lambda n: f"Apellido{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@correo.example")
    password = factory.django.Password("contrasena-de-prueba-123")


def _state_without_exercise() -> Jurisdiction:
    # A state holds one exercise at most, and the sequence of codes wraps around the
    # 32 states, so it can land on a state a fixture already gave an exercise.
    for _ in range(32):
        state = JurisdictionFactory()
        if not Exercise.objects.filter(jurisdiction=state).exists():
            return state
    raise LookupError("every state already has an exercise")


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise

    jurisdiction = factory.LazyFunction(_state_without_exercise)
    name = factory.LazyAttribute(lambda o: f"Gobierno Abierto {o.jurisdiction.name}")
    slug = factory.LazyAttribute(lambda o: o.jurisdiction.slug)
    started_on = dt.date(2015, 1, 1)


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    kind = Document.Kind.MINUTES
    title = factory.Sequence(lambda n: f"Minuta {n}")
    url = "https://gobiernoabiertojalisco.org.mx/minuta.pdf"
    published_on = factory.LazyFunction(timezone.localdate)
    attached_to = None
