"""labels.py marks every displayed catalogue label for translation, and is up to date."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from culturepass.catalog import catalogue
from culturepass.catalog.labels import catalog_labels

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_catalog_labels.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_catalog_labels", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_labels_module_is_what_the_script_generates():
    script = _script()
    assert script.OUTPUT.read_text(encoding="utf-8") == script.render()


def test_script_check_mode_passes_on_the_committed_file():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_displayed_label_is_marked_once():
    labels = catalog_labels()
    assert len(labels) == len(set(labels))
    assert labels == catalogue.translatable_labels()
    marked = set(labels)
    assert {c.label for c in catalogue.categories()} <= marked
    assert {s.pro_label for s in catalogue.subcategories()} <= marked
    assert {s.app_label for s in catalogue.subcategories()} <= marked
    for field in ("musicType", "musicSubType", "showType", "showSubType", "gtl_id"):
        assert {c.label for c in catalogue.extra_field_choices(field)} <= marked


def test_labels_are_stripped_and_unique_across_kinds():
    labels = catalog_labels()
    assert all(label == label.strip() and label for label in labels)
    assert "Autre" in labels
    assert "Théâtre" in labels
    assert "Musique live" in labels
