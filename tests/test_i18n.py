"""Translations: French is the source language, the English catalogue is complete,
compiled, and used to render pages.

The catalogues live in src/culturepass/locale; ``make messages`` extracts the
strings (makemessages) and compiles them (compilemessages).
"""

from __future__ import annotations

import ast
import csv
import gettext
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

import culturepass
from culturepass.offerers.venue_type_labels import venue_type_labels
from culturepass.offerers.venue_types import venue_type_label

PACKAGE_DIR = Path(culturepass.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
VENUE_TYPES_CSV = PACKAGE_DIR / "offerers" / "data" / "venue_types.csv"
LANGUAGES = ("en", "fr")
HOW_TO_FIX = (
    "Run `make messages`, then translate the new entries of "
    "src/culturepass/locale/en/LC_MESSAGES/django.po and run `make messages` again "
    "to compile them."
)


# --- A minimal .po reader (the catalogues are plain GNU gettext files) -------------------


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index (0 if singular)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)  # "#: file:line" comments
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and "fuzzy" not in self.flags

    def __str__(self) -> str:
        text = self.msgid if self.msgid_plural is None else f"{self.msgid} / {self.msgid_plural}"
        return f"{self.msgctxt}|{text!r}" if self.msgctxt is not None else repr(text)


_KEYWORD_RE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')


def read_po(path: Path) -> list[PoEntry]:
    """The entries of a .po file, header included (obsolete ``#~`` entries skipped)."""
    entries: list[PoEntry] = []
    entry = PoEntry()
    current: tuple[str, int] | None = None  # (keyword, plural index) being continued

    def finish() -> None:
        nonlocal entry, current
        if current is not None:
            entries.append(entry)
        entry, current = PoEntry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            finish()
            continue
        if line.startswith("#"):
            if current is not None and current[0] == "msgstr":
                finish()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#:"):
                entry.references += line[2:].split()
            continue
        if line.startswith('"'):
            assert current is not None, f"{path}:{number}: continuation line out of place"
            keyword, index = current
            value = ast.literal_eval(line)
        else:
            match = _KEYWORD_RE.match(line)
            assert match, f"{path}:{number}: cannot parse {line!r}"
            keyword, index, value = match[1], int(match[2] or 0), ast.literal_eval(match[3])
            if keyword in {"msgctxt", "msgid"} and current is not None and current[0] == "msgstr":
                finish()
            if keyword in {"msgctxt", "msgid"} and not entry.line:
                entry.line = number
            current = (keyword, index)
            if keyword == "msgstr":
                entry.msgstr[index] = ""
            elif keyword == "msgid":
                entry.msgid = ""
            elif keyword == "msgid_plural":
                entry.msgid_plural = ""
            else:
                entry.msgctxt = ""
        if keyword == "msgstr":
            entry.msgstr[index] += value
        elif keyword == "msgid":
            entry.msgid += value
        elif keyword == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        else:
            entry.msgctxt = (entry.msgctxt or "") + value
    finish()
    return entries


def messages(entries: list[PoEntry]) -> list[PoEntry]:
    """The entries without the header (the entry of the empty msgid)."""
    return [entry for entry in entries if entry.msgid]


# %(name)s and {name} are placeholders in any message; %s, %d... only in messages that
# xgettext flagged python-format (elsewhere "%" is a literal, as in "100 %"). %% is a
# literal percent sign.
_NAMED_RE = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|\{[^{}]*\}")
_PRINTF_RE = re.compile(r"%%|%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|\{[^{}]*\}")
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]*>")


def markup(text: str, *, python_format: bool) -> Counter[str]:
    """The placeholders and HTML tags of a message, which a translation must keep."""
    placeholders = (_PRINTF_RE if python_format else _NAMED_RE).findall(text)
    return Counter(item for item in placeholders + _TAG_RE.findall(text) if item != "%%")


def _require_gettext_tools() -> None:
    missing = [tool for tool in ("msgfmt", "xgettext", "msgmerge") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"GNU gettext tools missing ({', '.join(missing)}): apt-get install gettext")


@pytest.fixture(scope="module")
def en_entries() -> list[PoEntry]:
    return read_po(EN_PO)


@pytest.fixture(scope="module")
def en_catalogue(en_entries) -> dict[tuple[str | None, str, str | None], PoEntry]:
    return {entry.key: entry for entry in messages(en_entries)}


# --- The English catalogue ----------------------------------------------------------------


def test_english_catalogue_translates_every_message_without_fuzzy_entries(en_entries):
    header = en_entries[0]
    assert header.msgid == "", "the catalogue must start with its header"
    assert "fuzzy" not in header.flags, f"{EN_PO}: remove the '#, fuzzy' flag of the header"
    assert "Language: en\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]

    entries = messages(en_entries)
    assert len(entries) > 100, "the English catalogue looks truncated"
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"line {entry.line}: {entry} is fuzzy (check it, remove the flag)")
        elif not entry.translated:
            problems.append(f"line {entry.line}: {entry} is not translated")
        elif entry.msgid_plural is not None and sorted(entry.msgstr) != [0, 1]:
            problems.append(f"line {entry.line}: {entry} needs msgstr[0] and msgstr[1]")
    assert not problems, f"{EN_PO}:\n" + "\n".join(problems)


def test_english_translations_keep_the_placeholders_and_tags_of_the_french_text(en_entries):
    mismatches = []
    for entry in messages(en_entries):
        for index, text in entry.msgstr.items():
            source = entry.msgid if index == 0 else (entry.msgid_plural or entry.msgid)
            python_format = "python-format" in entry.flags
            expected = markup(source, python_format=python_format)
            found = markup(text, python_format=python_format)
            if expected != found:
                mismatches.append(
                    f"line {entry.line}: {entry}\n"
                    f"    msgstr[{index}] {text!r}\n"
                    f"    expected {sorted(expected.elements())}, found {sorted(found.elements())}"
                )
    assert not mismatches, "placeholders or tags differ:\n" + "\n".join(mismatches)


def test_committed_english_catalogue_covers_every_string_of_the_current_source(
    tmp_path, settings, monkeypatch, en_catalogue
):
    """Extract the strings of the current code and templates into a scratch copy and
    check that each one is translated in the committed catalogue."""
    _require_gettext_tools()
    source = tmp_path / "culturepass"

    def not_sources(directory: str, names: list[str]) -> set[str]:
        """Keep what makemessages reads: .py, .html and .txt files, migrations aside."""
        skipped_dirs = {"__pycache__", "locale", "migrations", "static"}
        kept_suffixes = {".py", ".html", ".txt"}
        paths = [Path(directory, name) for name in names]
        return {
            path.name
            for path in paths
            if (path.is_dir() and path.name in skipped_dirs)
            or (path.is_file() and path.suffix not in kept_suffixes)
        }

    shutil.copytree(PACKAGE_DIR, source, ignore=not_sources)
    (source / "locale").mkdir()
    settings.LOCALE_PATHS = []  # only the scratch copy's locale directory
    monkeypatch.chdir(source)
    call_command(
        "makemessages",
        locale=["en"],
        no_obsolete=True,
        ignore_patterns=["migrations/*"],
        verbosity=0,
    )

    extracted = messages(read_po(source / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    assert extracted, "makemessages extracted nothing: the scratch copy is wrong"
    missing = [
        f"{entry}  ({', '.join(entry.references[:2])})"
        for entry in extracted
        if entry.key not in en_catalogue or not en_catalogue[entry.key].translated
    ]
    assert not missing, (
        f"{len(missing)} message(s) of the source are missing from, or untranslated in, "
        f"the English catalogue:\n" + "\n".join(f"  {m}" for m in missing) + f"\n{HOW_TO_FIX}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_is_up_to_date_with_its_po_file(tmp_path, language):
    _require_gettext_tools()
    po_file = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    mo_file = po_file.with_suffix(".mo")
    assert mo_file.exists(), f"{mo_file} is missing: run `make messages`"
    fresh = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(fresh), str(po_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"msgfmt rejects {po_file}:\n{result.stderr}"

    def catalogue(path: Path) -> dict[object, str]:
        with path.open("rb") as handle:
            return dict(gettext.GNUTranslations(handle)._catalog)

    assert catalogue(mo_file) == catalogue(fresh), (
        f"{mo_file} is out of date with {po_file.name}: run `make messages` "
        "(compilemessages) and commit the .mo file"
    )


# --- Venue types (labels from a CSV, translated when displayed) --------------------------


def _csv_labels() -> list[str]:
    with VENUE_TYPES_CSV.open(encoding="utf-8", newline="") as handle:
        return [row["label"] for row in csv.DictReader(handle)]


def test_venue_type_labels_module_matches_the_csv():
    assert list(venue_type_labels()) == list(dict.fromkeys(_csv_labels())), (
        "offerers/venue_type_labels.py is out of date with data/venue_types.csv: run "
        "`.venv/bin/python -m culturepass.offerers.venue_type_labels`, then `make messages`"
    )


def test_every_venue_type_label_of_the_csv_is_translated(en_catalogue):
    missing = [
        label
        for label in _csv_labels()
        if (key := (None, label, None)) not in en_catalogue or not en_catalogue[key].translated
    ]
    assert not missing, f"venue type labels not in the English catalogue: {missing}\n{HOW_TO_FIX}"


def test_venue_type_labels_are_translated_when_displayed():
    with translation.override("en"):
        assert venue_type_label("LIBRARY") == "Library or media library"
    with translation.override("fr"):
        assert venue_type_label("LIBRARY") == "Bibliothèque ou médiathèque"


# --- Rendered pages -----------------------------------------------------------------------


def _login_page(client: Client) -> str:
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    return response.content.decode()


def test_pages_are_in_french_by_default():
    html = _login_page(Client())

    assert '<html lang="fr">' in html
    assert "Mot de passe oublié ?" in html
    assert "Forgotten your password?" not in html


def test_pages_are_in_english_for_a_browser_asking_for_english():
    html = _login_page(Client(headers={"accept-language": "en-GB,en;q=0.9"}))

    assert '<html lang="en">' in html
    assert "Forgotten your password?" in html
    assert ">Email address</label>" in html
    assert "Mot de passe oublié" not in html


def test_language_chosen_with_the_switcher_wins_over_the_browser_language(settings):
    client = Client(headers={"accept-language": "fr"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # what set_language stores
    html = _login_page(client)

    assert '<html lang="en">' in html
    assert "Forgotten your password?" in html


def test_french_counts_use_the_french_plural_rule():
    """0 and 1 take the singular in French ("0 lieu"); the source catalogue fills plural forms."""
    with translation.override("fr"):
        assert (
            translation.ngettext("%(counter)s lieu", "%(counter)s lieux", 0) == "%(counter)s lieu"
        )
        assert (
            translation.ngettext("%(counter)s lieu", "%(counter)s lieux", 2) == "%(counter)s lieux"
        )


def test_every_french_plural_entry_is_filled():
    text = (LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po").read_text()
    empty = [
        block.split("\n")[0]
        for block in text.split("\n\n")
        if "msgid_plural" in block and re.search(r'^msgstr\[\d\] ""$', block, re.M)
    ]
    assert empty == [], "run `make messages` (it fills French plural forms): " + ", ".join(empty)
