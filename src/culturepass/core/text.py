"""Text PostgreSQL cannot store: NUL (refused in ``text`` columns and comparisons) and lone
surrogates (valid in JSON and URLs, not encodable as UTF-8). Inputs are checked at the edge
so that such text is a validation error, not a server error."""

from __future__ import annotations


def unstorable_reason(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    if "\x00" in text:
        return "NUL characters are not allowed"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "the text is not valid Unicode"
    return None
