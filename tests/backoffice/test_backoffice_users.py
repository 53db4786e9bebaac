"""Support finds users; administrators manage staff roles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from culturepass.accounts.models import User
from culturepass.backoffice import views
from culturepass.core.audit import AUTO, audit_record
from culturepass.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LIST_URL = "/backoffice/utilisateurs/"


@pytest.fixture
def people(new_user) -> dict[str, User]:
    make_user = new_user
    return {
        "camille": make_user(
            "camille.martin@festival.test", first_name="Camille", last_name="Martin", is_pro=True
        ),
        "leo": make_user(
            "leo@lycee.test", first_name="Léo", last_name="Martin", is_beneficiary=True
        ),
        "claire": make_user("c.dupont@festival.test", first_name="Claire", last_name="Dupont"),
    }


def _listed(html: str) -> list[str]:
    return re.findall(r'<a href="/backoffice/utilisateurs/\d+/">([^<]+)</a>', html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("festival", ["c.dupont@festival.test", "camille.martin@festival.test"]),
        ("LEO@", ["leo@lycee.test"]),
        ("martin", ["camille.martin@festival.test", "leo@lycee.test"]),
        ("camille martin", ["camille.martin@festival.test"]),
        ("Dupont Claire", ["c.dupont@festival.test"]),
    ],
)
def test_support_searches_users_by_email_or_name(
    client: Client, support_user: User, people: dict[str, User], query: str, expected: list[str]
) -> None:
    client.force_login(support_user)

    response = client.get(LIST_URL, {"q": query})

    assert response.status_code == 200
    assert _listed(response.text) == expected


def test_a_search_without_result_says_so(
    client: Client, support_user: User, people: dict[str, User]
) -> None:
    client.force_login(support_user)

    response = client.get(LIST_URL, {"q": "personne"})

    assert _listed(response.text) == []
    assert "Aucun utilisateur ne correspond à « personne »." in response.text


def test_results_come_in_pages_by_email(
    client: Client, support_user: User, people: dict[str, User], monkeypatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client.force_login(support_user)

    first = client.get(LIST_URL, {"q": "."}).text
    next_href = re.search(r'<a href="\?([^"]+)" rel="next">', first)
    assert next_href is not None
    second = client.get(LIST_URL + "?" + next_href.group(1).replace("&amp;", "&")).text

    everyone = sorted(u.email for u in User.objects.all())
    assert _listed(first) + _listed(second) == everyone[:4]
    assert "q=." in next_href.group(1)


def test_the_list_runs_a_fixed_number_of_queries(
    client: Client, support_user: User, people: dict[str, User], django_assert_max_num_queries
) -> None:
    client.force_login(support_user)

    with django_assert_max_num_queries(6):
        client.get(LIST_URL, {"q": "martin"})


def test_the_detail_shows_roles_memberships_and_history(
    client: Client, support_user: User, staff_user: User, people: dict[str, User]
) -> None:
    camille = people["camille"]
    camille.groups.add(Group.objects.get(name="Finance"))
    about = audit_record(
        actor=staff_user,
        action="user.update",
        obj=camille,
        now=dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC),
        before={"phone": ""},
        after={"phone": "+33612345678"},
    )
    by = audit_record(
        actor=camille,
        action="offerer.update",
        obj=staff_user,
        now=dt.datetime(2026, 11, 3, 10, 0, tzinfo=dt.UTC),
    )
    unrelated = audit_record(actor=AUTO, action="user.expire", obj=people["leo"], now=by.created_at)
    client.force_login(support_user)

    response = client.get(reverse("backoffice:user_detail", args=[camille.pk]))

    html = response.text
    assert response.status_code == 200
    assert "Camille Martin" in html
    assert "professionnel" in html
    assert "Finance" in html
    assert f'data-entry="{about.pk}"' in html
    assert "<code>phone</code> : « » → +33612345678" in html
    assert f'data-entry="{by.pk}"' in html
    assert f'data-entry="{unrelated.pk}"' not in html
    # Support without the administrators' role cannot change roles.
    assert reverse("backoffice:user_roles", args=[camille.pk]) not in html


def test_the_detail_lists_the_structures_of_a_pro(
    client: Client, support_user: User, people: dict[str, User]
) -> None:
    offerers = pytest.importorskip("culturepass.offerers.models")
    offerer = offerers.Offerer.objects.create(
        siren="123456789",
        name="Festival des Lumières",
        street="1 rue de la Paix",
        postal_code="69001",
        city="Lyon",
        department_code="69",
        created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    offerers.Membership.objects.create(
        user=people["camille"],
        offerer=offerer,
        role=offerers.Membership.Role.ADMIN,
        status=offerers.Membership.Status.VALIDATED,
        created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    client.force_login(support_user)

    html = client.get(reverse("backoffice:user_detail", args=[people["camille"].pk])).text

    assert "Festival des Lumières" in html
    assert "Administrateur" in html


def test_an_unknown_user_is_404(client: Client, support_user: User) -> None:
    client.force_login(support_user)

    assert client.get(reverse("backoffice:user_detail", args=[999999])).status_code == 404


# --- Staff roles ----------------------------------------------------------------------


@pytest.fixture
def administrator(make_staff) -> User:
    user = make_staff("chef@culturepass.test", "support")
    user.groups.add(Group.objects.get(name="Administrateurs"))
    return user


def test_an_administrator_grants_a_role(
    client: Client, administrator: User, people: dict[str, User]
) -> None:
    claire = people["claire"]
    client.force_login(administrator)
    detail = reverse("backoffice:user_detail", args=[claire.pk])
    assert '<option value="Homologation">Homologation</option>' in client.get(detail).text

    response = client.post(
        reverse("backoffice:user_roles", args=[claire.pk]),
        {"operation": "grant", "role": "Homologation"},
        follow=True,
    )

    assert response.redirect_chain == [(detail, 302)]
    assert "Rôle « Homologation » attribué à c.dupont@festival.test." in response.text
    claire.refresh_from_db()
    assert claire.is_staff
    assert list(claire.groups.values_list("name", flat=True)) == ["Homologation"]
    entry = AuditEntry.objects.get(action="user.staff_role_granted")
    assert entry.actor == administrator
    assert entry.object_id == str(claire.pk)


def test_an_administrator_revokes_a_role(
    client: Client, administrator: User, people: dict[str, User]
) -> None:
    claire = people["claire"]
    claire.is_staff = True
    claire.save()
    claire.groups.add(Group.objects.get(name="Finance"))
    client.force_login(administrator)

    response = client.post(
        reverse("backoffice:user_roles", args=[claire.pk]),
        {"operation": "revoke", "role": "Finance"},
        follow=True,
    )

    assert "Rôle « Finance » retiré à c.dupont@festival.test." in response.text
    claire.refresh_from_db()
    assert not claire.groups.exists()
    assert not claire.is_staff


def test_an_unknown_role_is_refused_with_a_message(
    client: Client, administrator: User, people: dict[str, User]
) -> None:
    client.force_login(administrator)

    response = client.post(
        reverse("backoffice:user_roles", args=[people["claire"].pk]),
        {"operation": "grant", "role": "Pirates"},
        follow=True,
    )

    assert "Ce rôle n&#x27;existe pas." in response.text or "Ce rôle n'existe pas." in response.text
    assert not people["claire"].groups.exists()


def test_an_unknown_operation_is_a_bad_request(
    client: Client, administrator: User, people: dict[str, User]
) -> None:
    client.force_login(administrator)

    response = client.post(
        reverse("backoffice:user_roles", args=[people["claire"].pk]),
        {"operation": "promote", "role": "Finance"},
    )

    assert response.status_code == 400


def test_support_without_the_administrators_role_cannot_change_roles(
    client: Client, support_user: User, people: dict[str, User]
) -> None:
    client.force_login(support_user)

    response = client.post(
        reverse("backoffice:user_roles", args=[people["claire"].pk]),
        {"operation": "grant", "role": "Administrateurs"},
    )

    assert response.status_code == 403
    assert not people["claire"].groups.exists()


def test_a_superuser_manages_roles(
    client: Client, staff_user: User, people: dict[str, User]
) -> None:
    client.force_login(staff_user)

    client.post(
        reverse("backoffice:user_roles", args=[people["leo"].pk]),
        {"operation": "grant", "role": "Support"},
    )

    assert list(people["leo"].groups.values_list("name", flat=True)) == ["Support"]
