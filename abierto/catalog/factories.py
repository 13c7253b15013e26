"""factory_boy factories of the catalog, for tests and the benchmark generator."""

from __future__ import annotations

import factory
from django.utils import timezone

from abierto.catalog.models import (
    Dataset,
    HarvestSource,
    Licence,
    Publisher,
    PublisherMember,
    Resource,
    Tag,
    Theme,
)
from abierto.core.factories import JurisdictionFactory, UserFactory


class LicenceFactory(factory.django.DjangoModelFactory):
    """The licences come from a migration; this fetches one by key."""

    class Meta:
        model = Licence
        django_get_or_create = ("key",)

    key = "libre-uso-mx"
    title = "Términos de Libre Uso MX"


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tema-{n}")
    title = factory.Sequence(lambda n: f"Tema {n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"etiqueta {n}")


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"dependencia-{n}")
    title = factory.Sequence(lambda n: f"Dependencia publicadora {n}")
    jurisdiction = factory.SubFactory(JurisdictionFactory, inegi_code="14", name="Jalisco")
    email = factory.LazyAttribute(lambda o: f"datos@{o.name}.gob.example")


class PublisherMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublisherMember

    publisher = factory.SubFactory(PublisherFactory)
    user = factory.SubFactory(UserFactory)
    role = PublisherMember.Role.EDITOR


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"conjunto-{n}")
    identifier = factory.LazyAttribute(lambda o: o.name)
    title = factory.Sequence(lambda n: f"Conjunto de datos {n}")
    description = "Descripción del conjunto de datos."
    publisher = factory.SubFactory(PublisherFactory)
    licence = factory.SubFactory(LicenceFactory)
    contact_name = factory.LazyAttribute(lambda o: o.publisher.title)
    contact_email = factory.LazyAttribute(lambda o: o.publisher.email)
    accrual_periodicity = Dataset.Periodicity.MONTHLY
    modified = factory.LazyFunction(timezone.now)
    issued = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(TagFactory(name=name) for name in extracted)

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(extracted)


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    dataset = factory.SubFactory(DatasetFactory)
    title = factory.Sequence(lambda n: f"Recurso {n}")
    url = factory.Sequence(lambda n: f"https://datos.example/recurso-{n}.csv")
    format = "CSV"
    media_type = "text/csv"


class HarvestSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HarvestSource

    name = factory.Sequence(lambda n: f"fuente-{n}")
    title = factory.Sequence(lambda n: f"Fuente {n}")
    kind = HarvestSource.Kind.CKAN
    url = "http://127.0.0.1:9/"
    publisher = factory.SubFactory(PublisherFactory)
