"""Template context shared by every page."""

from __future__ import annotations

from registry.selectors import official_of


def official(request) -> dict:
    return {"official": official_of(getattr(request, "user", None))}
