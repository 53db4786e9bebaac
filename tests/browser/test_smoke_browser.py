"""Smoke: real Chromium opens the pages and axe finds no serious or critical issue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse

from culturepass.accounts.models import User
from culturepass.core.audit import audit_record

pytestmark = pytest.mark.browser


def _url(name: str, *args: object) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        pytest.skip(f"{name} is not routed yet")


def test_the_login_page_opens_and_is_accessible(page: Any, assert_accessible: Any) -> None:
    url = _url("accounts:login")

    response = page.goto(url)

    assert response is not None
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").count() == 1
    assert page.locator("input[type=password]").count() == 1
    assert_accessible(page)


def test_the_skip_link_leads_to_the_main_content(page: Any) -> None:
    page.goto(_url("accounts:login"))

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.fixture
def journal(staff_user: User) -> None:
    member = User.objects.create_user(
        "camille@structure-a.test", "Motdepasse-solide-2026", first_name="Camille"
    )
    audit_record(
        actor=staff_user,
        action="user.update",
        obj=member,
        now=dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC),
        before={"first_name": "", "is_active": True},
        after={"first_name": "Camille", "is_active": False},
        offerer_id=1,
    )


@pytest.mark.parametrize(
    "name",
    [
        "backoffice:dashboard",
        "backoffice:audit_log",
        "backoffice:user_list",
        "backoffice:user_detail",
    ],
)
def test_backoffice_pages_are_accessible(
    page: Any,
    login: Any,
    assert_accessible: Any,
    staff_user: User,
    journal: None,
    name: str,
) -> None:
    login(page, staff_user)
    args = (
        [User.objects.get(email="camille@structure-a.test").pk] if name.endswith("detail") else []
    )

    response = page.goto(_url(name, *args))

    assert response is not None
    assert response.status == 200
    assert page.locator("h1").count() == 1
    assert_accessible(page)


def test_the_audit_log_filters_in_the_browser(
    page: Any, login: Any, staff_user: User, journal: None
) -> None:
    login(page, staff_user)
    page.goto(_url("backoffice:audit_log"))

    page.get_by_label("Action").select_option("user.update")
    page.get_by_role("button", name="Filtrer").click()

    assert "action=user.update" in page.url
    assert page.locator("tbody tr").count() == 1
    assert "Camille" in page.locator("tbody tr").inner_text()
