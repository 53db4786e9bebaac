import datetime as dt

from django.template import Context, Template
from django.utils import translation


def _render(source: str, **context: object) -> str:
    return Template("{% load dates %}" + source).render(Context(context))


def test_the_first_of_the_month_is_an_ordinal_in_french() -> None:
    with translation.override("fr"):
        assert _render("{{ d|long_date }}", d=dt.date(2026, 12, 1)) == "1er décembre 2026"
        assert _render("{{ d|long_date }}", d=dt.date(2026, 12, 16)) == "16 décembre 2026"
        assert (
            _render('{{ d|long_date:"weekday" }}', d=dt.date(2026, 12, 1))
            == "mardi 1er décembre 2026"
        )


def test_english_keeps_the_cardinal_day() -> None:
    with translation.override("en"):
        assert _render("{{ d|long_date }}", d=dt.date(2026, 12, 1)) == "1 December 2026"
