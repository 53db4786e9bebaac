"""Fill translations into a .po catalogue from a JSON file of {msgid: msgstr}.

    python scripts/po_fill.py src/culturepass/locale/en/LC_MESSAGES/django.po new.json
    python scripts/po_fill.py --source-plurals src/culturepass/locale/fr/LC_MESSAGES/django.po

The second form is for the source language (French): its singular entries need
no translation, but plural ones do, or gettext falls back to the English rule
(n != 1) and prints "0 lieux" where French says "0 lieu".

Keys may be "context\\x04msgid" for pgettext entries. Filled entries lose their
fuzzy flag and the previous-msgid comments that makemessages adds. Prints the
entries that are still untranslated or fuzzy.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def _without_fuzzy(lines: list[str]) -> list[str]:
    """Drop the fuzzy flag (alone or among others, e.g. "#, fuzzy, python-format")."""
    out = []
    for line in lines:
        if line.startswith("#,"):
            flags = [flag.strip() for flag in line[2:].split(",") if flag.strip() != "fuzzy"]
            if not flags:
                continue
            line = "#, " + ", ".join(flags)
        out.append(line)
    return out


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _parse(block: str) -> tuple[str | None, str, list[str]]:
    lines = block.split("\n")
    ctx: list[str] | None = None
    msgid: list[str] = []
    current: list[str] | None = None
    for line in lines:
        if line.startswith("msgctxt "):
            ctx = [line[8:]]
            current = ctx
        elif line.startswith("msgid "):
            msgid = [line[6:]]
            current = msgid
        elif line.startswith("msgstr") or line.startswith("msgid_plural"):
            current = None
        elif line.startswith('"') and current is not None:
            current.append(line)
    return (_unquote(ctx) if ctx else None), _unquote(msgid), lines


def fill_source_plurals(po_path: str) -> int:
    """Copy msgid / msgid_plural into every plural form of a source-language catalogue."""
    text = Path(po_path).read_text()
    header = re.search(r"nplurals=(\d+)", text)
    nplurals = int(header.group(1)) if header else 2
    blocks = text.split("\n\n")
    for index, block in enumerate(blocks):
        # Only real plural entries: fuzzy entries keep "#| msgid_plural" comments.
        if not re.search(r"^msgid_plural ", block, re.M):
            continue
        # Keep everything up to the first msgstr line: the translations (and their
        # continuation lines) are rebuilt from the msgids below.
        lines = []
        for line in block.split("\n"):
            if line.startswith("msgstr"):
                break
            lines.append(line)
        singular: list[str] = []
        plural: list[str] = []
        current: list[str] | None = None
        for line in lines:
            if line.startswith("msgid "):
                singular = [line[6:]]
                current = singular
            elif line.startswith("msgid_plural "):
                plural = [line[13:]]
                current = plural
            elif line.startswith('"') and current is not None:
                current.append(line)
        forms = [_unquote(singular)] + [_unquote(plural)] * (nplurals - 1)
        lines = _without_fuzzy(lines)
        lines += [f"msgstr[{n}] {_quote(form)}" for n, form in enumerate(forms)]
        blocks[index] = "\n".join(lines)
    Path(po_path).write_text("\n\n".join(blocks).rstrip("\n") + "\n")
    return 0


def main(po_path: str, json_path: str) -> int:
    translations: dict[str, str] = json.loads(Path(json_path).read_text())
    blocks = Path(po_path).read_text().split("\n\n")
    pending = []
    for index, block in enumerate(blocks):
        if index == 0 or "msgid " not in block:
            continue
        ctx, msgid, lines = _parse(block)
        key = f"{ctx}\x04{msgid}" if ctx else msgid
        if key in translations and not re.search(r"^msgid_plural ", block, re.M):
            kept = _without_fuzzy([line for line in lines if not line.startswith("#|")])
            head = []
            for line in kept:
                if line.startswith("msgstr"):
                    break
                head.append(line)
            blocks[index] = "\n".join([*head, f"msgstr {_quote(translations[key])}"])
        elif re.search(r"^#,.*\bfuzzy\b", block, re.M) or re.search(
            r'^msgstr(\[\d\])? ""$', lines[-1]
        ):
            pending.append(key)
    Path(po_path).write_text("\n\n".join(blocks).rstrip("\n") + "\n")
    for key in pending:
        print("untranslated:", key.replace("\x04", " | "))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--source-plurals":
        sys.exit(fill_source_plurals(sys.argv[2]))
    sys.exit(main(*sys.argv[1:]))
