"""Who may open a page: signed in, with a registry role, and seeing the notice asked for."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from registry import selectors
from registry.models import Notice, Official


def registry_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, with a registry role; otherwise the login page or the no-role page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if selectors.official_of(request.user) is None:
            return render(request, "registry/no_role.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def official(request: HttpRequest) -> Official:
    found = selectors.official_of(request.user)
    assert found is not None  # registry_page let the request through
    return found


def visible_notice(request: HttpRequest, pk: int) -> Notice:
    notices = selectors.notices_visible_to(request.user).select_related(
        "state", "commitment", "current_version"
    )
    return get_object_or_404(notices, pk=pk)
