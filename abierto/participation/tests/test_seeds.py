"""`flush` empties every table; the rows data migrations wrote come back by themselves."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from abierto.catalog.licences import STANDARD
from abierto.catalog.models import Licence


@pytest.mark.django_db(transaction=True)
def test_flush_keeps_the_stl_staff_group_and_the_standard_licences():
    group = Group.objects.get(name="Personal del STL")
    permissions = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("participation", "change_proposal") in permissions
    assert ("participation", "delete_proposal") not in permissions  # moderation hides

    call_command("flush", interactive=False, verbosity=0)

    restored = Group.objects.get(name="Personal del STL")
    assert set(restored.permissions.values_list("content_type__app_label", "codename")) == (
        permissions
    )
    assert Licence.objects.count() == len(STANDARD)
