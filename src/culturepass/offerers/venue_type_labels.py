# ruff: noqa: RUF001
# (RUF001: the French labels use the typographic apostrophe.)
"""Venue type labels of data/venue_types.csv, marked for translation.

GENERATED from src/culturepass/offerers/data/venue_types.csv: do not edit the
list by hand. After changing the CSV, regenerate it (from the repository root):

    .venv/bin/python -m culturepass.offerers.venue_type_labels

then run ``make messages`` and translate the new entries of
locale/en/LC_MESSAGES/django.po.

venue_types.py translates the labels with gettext when they are displayed;
makemessages cannot read the CSV, so each label is marked here with
gettext_noop (which returns it unchanged) to enter the catalogue. The marks sit
in a function so that importing this module needs no Django settings.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop


# BEGIN GENERATED
def venue_type_labels() -> tuple[str, ...]:
    """The labels of data/venue_types.csv, in CSV order (untranslated)."""
    return (
        gettext_noop("Autre"),
        gettext_noop("Arts visuels, arts plastiques et galeries"),
        gettext_noop("Bibliothèque ou médiathèque"),
        gettext_noop("Centre culturel"),
        gettext_noop("Cinéma - Salle de projections"),
        gettext_noop("Cinéma itinérant"),
        gettext_noop("Cours et pratique artistiques"),
        gettext_noop("Culture scientifique"),
        gettext_noop("Festival"),
        gettext_noop("Jeux / Jeux vidéos"),
        gettext_noop("Librairie"),
        gettext_noop("Magasin arts créatifs"),
        gettext_noop("Magasin de distribution de produits culturels"),
        gettext_noop("Musique - Disquaire"),
        gettext_noop("Musique - Magasin d’instruments"),
        gettext_noop("Musique - Salle de concerts"),
        gettext_noop("Musée"),
        gettext_noop("Offre numérique"),
        gettext_noop("Patrimoine et tourisme"),
        gettext_noop("Spectacle vivant"),
    )


# END GENERATED


def _generate() -> None:
    """Rewrite the block between the GENERATED markers from the CSV."""
    import csv
    import re
    from pathlib import Path

    module = Path(__file__)
    with (module.parent / "data" / "venue_types.csv").open(encoding="utf-8", newline="") as f:
        labels = list(dict.fromkeys(row["label"] for row in csv.DictReader(f)))
    marks = "".join(
        '        gettext_noop("{}"),\n'.format(label.replace("\\", "\\\\").replace('"', '\\"'))
        for label in labels
    )
    block = (
        "# BEGIN GENERATED\n"
        "def venue_type_labels() -> tuple[str, ...]:\n"
        '    """The labels of data/venue_types.csv, in CSV order (untranslated)."""\n'
        "    return (\n"
        f"{marks}"
        "    )\n"
        "\n\n# END GENERATED\n"
    )
    source = module.read_text(encoding="utf-8")
    new_source, count = re.subn(
        r"^# BEGIN GENERATED\n.*?^# END GENERATED\n",
        lambda _match: block,
        source,
        count=1,
        flags=re.DOTALL | re.MULTILINE,
    )
    if count != 1:
        raise SystemExit(f"{module}: GENERATED markers not found")
    module.write_text(new_source, encoding="utf-8")
    print(f"{module}: {len(labels)} venue type labels")


if __name__ == "__main__":
    _generate()
