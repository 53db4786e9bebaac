"""Who may open the backoffice core pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from culturepass.accounts.models import User

pytestmark = pytest.mark.django_db

# (url name, permission it needs, or None for any staff member)
PAGES = [
    ("backoffice:dashboard", None),
    ("backoffice:audit_log", "audit"),
    ("backoffice:user_list", "support"),
    ("backoffice:user_detail", "support"),
]


def _url(name: str, subject: User) -> str:
    return reverse(name, args=[subject.pk]) if name.endswith("_detail") else reverse(name)


@pytest.mark.parametrize(("name", "permission"), PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(
    client: Client, pro_user: User, name: str, permission: str | None
) -> None:
    url = _url(name, pro_user)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert f"next={url}" in response["Location"].replace("%2F", "/")


@pytest.mark.parametrize(("name", "permission"), PAGES)
def test_users_outside_the_staff_are_refused(
    client: Client, pro_user: User, name: str, permission: str | None
) -> None:
    client.force_login(pro_user)

    assert client.get(_url(name, pro_user)).status_code == 403


@pytest.mark.parametrize(("name", "permission"), [p for p in PAGES if p[1]])
def test_staff_without_the_permission_are_refused(
    client: Client, make_staff, pro_user: User, name: str, permission: str
) -> None:
    others = {"homologation", "compliance", "finance", "territorial", "support", "audit"}
    client.force_login(make_staff("autre@culturepass.test", *(others - {permission})))

    assert client.get(_url(name, pro_user)).status_code == 403


@pytest.mark.parametrize(("name", "permission"), PAGES)
def test_staff_with_the_permission_open_the_page(
    client: Client, make_staff, pro_user: User, name: str, permission: str | None
) -> None:
    codenames = (permission,) if permission else ()
    client.force_login(make_staff("equipe@culturepass.test", *codenames))

    response = client.get(_url(name, pro_user))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_staff_member_with_no_role_sees_only_the_dashboard_links_they_may_use(
    client: Client, make_staff
) -> None:
    client.force_login(make_staff("sans-role@culturepass.test"))

    response = client.get(reverse("backoffice:dashboard"))

    assert response.status_code == 200
    assert reverse("backoffice:audit_log") not in response.text
    assert reverse("backoffice:user_list") not in response.text


def test_pages_refuse_writes(client: Client, staff_user: User) -> None:
    client.force_login(staff_user)

    assert client.post(reverse("backoffice:audit_log")).status_code == 405
    assert client.post(reverse("backoffice:user_list")).status_code == 405
    assert client.get(reverse("backoffice:user_roles", args=[staff_user.pk])).status_code == 405
