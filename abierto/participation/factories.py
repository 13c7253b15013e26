"""factory_boy factories of co-creation and events."""

from __future__ import annotations

import datetime as dt

import factory

from abierto.core.factories import ExerciseFactory, UserFactory
from abierto.core.models import Jurisdiction
from abierto.participation.models import (
    Comment,
    Event,
    Lab,
    Problem,
    Proposal,
    Site,
    Solution,
    Support,
    Topic,
    Workshop,
)


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("inegi_code",)

    # Jalisco's real municipalities are 14001-14125 and the demo loads them: a
    # generated code in that range would get_or_create a real one (and its slug).
    inegi_code = factory.Sequence(lambda n: f"14{126 + n % 874:03d}")
    name = factory.Sequence(lambda n: f"Municipio {n}")
    slug = factory.Sequence(lambda n: f"municipio-{n}")
    kind = Jurisdiction.Kind.MUNICIPALITY
    parent = factory.LazyFunction(
        lambda: Jurisdiction.objects.get_or_create(
            inegi_code="14", defaults={"name": "Jalisco", "slug": "jalisco", "kind": "state"}
        )[0]
    )


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tema {n}")
    slug = factory.Sequence(lambda n: f"tema-{n}")


class LabFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lab

    exercise = factory.SubFactory(ExerciseFactory)
    name = factory.Sequence(lambda n: f"Laboratorio {n}")
    slug = factory.Sequence(lambda n: f"laboratorio-{n}")
    started_on = dt.date(2017, 1, 1)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    lab = factory.SubFactory(LabFactory)
    municipality = factory.SubFactory(MunicipalityFactory)
    slug = factory.LazyAttribute(lambda o: o.municipality.slug)


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workshop

    site = factory.SubFactory(SiteFactory)
    title = factory.Sequence(lambda n: f"Taller {n}")
    held_on = dt.date(2017, 6, 1)


class ProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Problem

    site = factory.SubFactory(SiteFactory)
    topic = factory.SubFactory(TopicFactory)
    description = factory.Sequence(lambda n: f"Problema {n}")


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal

    exercise = factory.SubFactory(ExerciseFactory)
    origin = Proposal.Origin.CITIZEN
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Propuesta {n}")
    description = "Una propuesta."


class SupportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Support

    proposal = factory.SubFactory(ProposalFactory)
    user = factory.SubFactory(UserFactory)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    proposal = factory.SubFactory(ProposalFactory)
    author = factory.SubFactory(UserFactory)
    body = "Un comentario."


class SolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Solution

    lab = factory.SubFactory(LabFactory)
    title = factory.Sequence(lambda n: f"Solución {n}")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    exercise = factory.SubFactory(ExerciseFactory)
    kind = Event.Kind.WORKSHOP
    title = factory.Sequence(lambda n: f"Evento {n}")
    slug = factory.Sequence(lambda n: f"evento-{n}")
    held_on = dt.date(2017, 5, 1)
    held_on_precision = "month"
    participants = 10
