"""What tests read from the app's HTML pages as a form would post it: a hidden field's value
(the CSRF token, the id of the question on the page)."""

from __future__ import annotations

import re

__all__ = ["csrf_of", "hidden_field"]


def hidden_field(page: str, name: str) -> str | None:
    """The value of the page's first hidden field ``name``; None when it has none."""
    found = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)">', page)
    return None if found is None else found.group(1)


def csrf_of(page: str) -> str:
    """The page's CSRF token (every form of the web chat and the advisor pages carries it)."""
    token = hidden_field(page, "csrf")
    assert token, f"no CSRF token in the page:\n{page[:2000]}"
    return token
