"""Web pages of the evidence log: the log page (checkpoint, entries, verification) and the
downloadable receipt of a notice version. Included from ``registry.urls``."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry import ledger
from registry.ledger import b64
from registry.ledger import checkpoints as ledger_checkpoints
from registry.ledger.events import VERSION_KINDS
from registry.ledger.runs import STALE_AFTER, latest_verification, request_verification
from registry.models import LedgerEntry, LedgerSubmission, LedgerVerification
from registry.views import official, registry_page, visible_notice

PAGE_SIZE = 50
RECEIPT_FORMAT = "cbm-registry-receipt/1"


# --- the log page ----------------------------------------------------------------------------


@registry_page
def ledger_page(request: HttpRequest) -> HttpResponse:
    """The latest checkpoint, the entries (newest first, payloads as the reader may see
    them) and the last verification."""
    size = ledger.tree_size()
    pages = max(1, -(-size // PAGE_SIZE))
    page = _page_number(request.GET.get("page"), pages)
    end = size - (page - 1) * PAGE_SIZE
    entries = list(ledger.entries_for(request.user, max(0, end - PAGE_SIZE), end))
    entries.reverse()
    me = official(request)
    context = {
        "size": size,
        "pending": LedgerSubmission.objects.count(),
        "checkpoint": ledger_checkpoints.latest_checkpoint(),
        "key": ledger_checkpoints.public_key_info(),
        "entries": [_row(entry) for entry in entries],
        "page": page,
        "pages": pages,
        "verification": latest_verification(),
        "queued": LedgerVerification.objects.filter(
            status=LedgerVerification.Status.QUEUED,
            requested_at__gte=timezone.now() - STALE_AFTER,
        ).first(),
        "can_verify": me.is_monitor or me.is_secretariat,
    }
    return render(request, "registry/ledger.html", context)


def _page_number(value: str | None, pages: int) -> int:
    try:
        return min(max(1, int(value or 1)), pages)
    except ValueError:
        return 1


def _row(entry: LedgerEntry) -> dict[str, Any]:
    row = {"entry": entry, "leaf_hash": bytes(entry.leaf_hash).hex(), "payload": None}
    if entry.payload_visible:
        document = json.loads(bytes(entry.payload))
        row["payload"] = json.dumps(document["data"], indent=2, ensure_ascii=False)
        row["reference"] = document["data"].get("reference")
    return row


@require_POST
@registry_page
def ledger_verify(request: HttpRequest) -> HttpResponse:
    """Queue a verification of the whole log (monitors and the secretariat)."""
    me = official(request)
    if not (me.is_monitor or me.is_secretariat):
        raise PermissionDenied(_("Only monitors and the secretariat start a verification."))
    request_verification(request.user)
    messages.success(
        request, _("Verification queued: the result appears here when the worker has run it.")
    )
    return redirect("ledger")


# --- receipts --------------------------------------------------------------------------------


@registry_page
def version_receipt(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """A version's receipt as a JSON file: the entry, its payload, a signed checkpoint whose
    tree includes it, and the inclusion proof. Issues a checkpoint if none covers it yet."""
    notice = visible_notice(request, pk)
    version = get_object_or_404(notice.versions, number=number)
    receipt = ledger.receipt_for(VERSION_KINDS.values(), version.pk)
    entry = receipt.entry() if receipt is not None else None
    if entry is None:
        raise Http404(_("This version is not in the evidence log yet; try again in a minute."))
    document = receipt_document(entry)
    if document is None:
        raise Http404(_("No checkpoint covers this version yet; try again in a minute."))
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    filename = f"{notice.reference}-v{version.number}-receipt.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def receipt_document(entry: LedgerEntry) -> dict[str, Any] | None:
    """Everything needed to prove the entry later with the log's public key alone."""
    checkpoint = ledger_checkpoints.checkpoint_covering(entry.index)
    if checkpoint is None:
        return None
    proof = ledger.inclusion_proof(entry.index, checkpoint.tree_size)
    return {
        "format": RECEIPT_FORMAT,
        "entry": {
            "index": entry.index,
            "kind": entry.kind,
            "recorded_at": ledger.iso(entry.recorded_at),
            "leaf_hash": b64(bytes(entry.leaf_hash)),
            "payload": bytes(entry.payload).decode(),
        },
        "checkpoint": {
            "origin": checkpoint.origin,
            "tree_size": checkpoint.tree_size,
            "root_hash": b64(bytes(checkpoint.root_hash)),
            "note": checkpoint.note,
        },
        "inclusion_proof": {
            "index": entry.index,
            "tree_size": checkpoint.tree_size,
            "audit_path": [b64(value) for value in proof],
        },
        "key": ledger_checkpoints.public_key_info(),
    }


urlpatterns = [
    path("ledger/", ledger_page, name="ledger"),
    path("ledger/verify/", ledger_verify, name="ledger-verify"),
    path(
        "notices/<int:pk>/versions/<int:number>/receipt/",
        version_receipt,
        name="notice-version-receipt",
    ),
]
