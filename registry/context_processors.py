"""Template context shared by every page."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from registry.selectors import official_of


def official(request) -> dict:
    """The user's registry role, and the counts behind the inbox's badge.

    The counts are computed only if a template shows them (the navigation does).
    """
    user = getattr(request, "user", None)
    found = official_of(user)
    return {"official": found, "nav_counts": SimpleLazyObject(lambda: inbox_badge(user, found))}


def inbox_badge(user, official) -> dict[str, int]:
    """What waits in the inbox: versions not yet acknowledged (for a counterpart), and
    clarification requests to the state not yet answered (for a liaison)."""
    from notifications import selectors as inbox_selectors  # notifications imports registry

    counts = {"unacknowledged": 0, "questions": 0}
    if official is None or official.state_id is None:
        return {**counts, "total": 0}
    if official.is_counterpart:
        counts["unacknowledged"] = inbox_selectors.inbox(user, state_filter="new").count()
    if official.is_liaison:
        counts["questions"] = (
            inbox_selectors.open_questions(user)
            .filter(version__notice__state_id=official.state_id)
            .count()
        )
    return {**counts, "total": counts["unacknowledged"] + counts["questions"]}
