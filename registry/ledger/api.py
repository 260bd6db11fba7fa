"""REST API of the evidence log, under ``/api/v1/ledger/``.

Readable by every signed-in official and monitor. Leaf hashes, kinds and times of every
entry are public so that anyone can recompute the tree; an entry's payload is given only
to those who may see what it concerns (``ledger.payload_visible_to``). Hashes, roots and
proof elements are standard base64 (RFC 4648 §4).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import ledger
from registry.ledger import b64, merkle
from registry.ledger import checkpoints as ledger_checkpoints
from registry.ledger.events import VERSION_KINDS, rebuild_many
from registry.models import LedgerCheckpoint, LedgerEntry, LedgerKind
from registry.selectors import official_of

BASE64 = "Standard base64 (RFC 4648 §4) of the 32-byte SHA-256 value."


class HasRegistryRole(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return official_of(request.user) is not None


# --- answers ---------------------------------------------------------------------------------


class LedgerReceiptSerializer(serializers.Serializer):
    """Where an event is in the evidence log."""

    index = serializers.IntegerField(
        allow_null=True,
        help_text="The entry's index; null only if it could not be sequenced yet (the "
        "scheduler sequences it within seconds: ask GET /api/v1/ledger/entries/ later).",
    )
    leaf_hash = serializers.CharField(help_text=BASE64)


class CheckpointSerializer(serializers.Serializer):
    origin = serializers.CharField()
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(help_text=BASE64)
    issued_at = serializers.DateTimeField()
    note = serializers.CharField(
        help_text="The signed checkpoint in the C2SP signed-note format: origin, tree size "
        "and base64 root hash lines, a blank line, then `— <key name> "
        "<base64(4-byte key hash ‖ Ed25519 signature)>`."
    )


class EntrySerializer(serializers.Serializer):
    index = serializers.IntegerField()
    kind = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    leaf_hash = serializers.CharField(help_text=BASE64 + " SHA-256(0x00 ‖ payload bytes).")
    payload = serializers.CharField(
        allow_null=True,
        help_text="The exact bytes hashed, as text: RFC 8785 canonical JSON of "
        '{"kind", "time", "data"}. Null when you may not see what the entry concerns.',
    )
    source_data = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="With ?recompute=1: the entry's data as its source records give it now "
        "(canonical JSON), to compare with the data in the payload. Null where the payload "
        "is not visible, or for kinds that record a state (commitment, roles, endpoint key).",
    )


class EntriesSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    entries = EntrySerializer(many=True)


class InclusionProofSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf_hash = serializers.CharField(help_text=BASE64)
    audit_path = serializers.ListField(
        child=serializers.CharField(),
        help_text="RFC 6962 §2.1.1 audit path, leaf end first; each element " + BASE64,
    )


class ConsistencyProofSerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    consistency = serializers.ListField(
        child=serializers.CharField(),
        help_text="RFC 6962 §2.1.2 consistency proof; each element " + BASE64,
    )


class LedgerKeySerializer(serializers.Serializer):
    key_name = serializers.CharField(help_text="The signer's name in checkpoints (the origin).")
    algorithm = serializers.CharField()
    public_key = serializers.CharField(help_text="Raw 32-byte Ed25519 public key, base64.")
    key_hash = serializers.CharField(help_text="4-byte C2SP key hash, hex.")
    verifier_key = serializers.CharField(
        help_text="C2SP note verifier key: <name>+<hex key hash>+<base64(0x01 ‖ public key)>."
    )


def entry_data(entry: LedgerEntry) -> dict:
    visible = getattr(entry, "payload_visible", False)
    return {
        "index": entry.index,
        "kind": entry.kind,
        "recorded_at": entry.recorded_at,
        "leaf_hash": b64(bytes(entry.leaf_hash)),
        "payload": bytes(entry.payload).decode() if visible else None,
    }


def add_source_data(rows: list[dict], visible: list[LedgerEntry]) -> None:
    rebuilt = rebuild_many(visible)
    for row in rows:
        found = rebuilt.get(row["index"])
        row["source_data"] = found[1].decode() if found else None


def checkpoint_data(checkpoint: LedgerCheckpoint) -> dict:
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.tree_size,
        "root_hash": b64(bytes(checkpoint.root_hash)),
        "issued_at": checkpoint.issued_at,
        "note": checkpoint.note,
    }


# --- views -----------------------------------------------------------------------------------


def number(request: Request, name: str, default: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        if default is None:
            raise ValidationError({name: [_("This parameter is required.")]})
        return default
    if not raw.isdigit():
        raise ValidationError({name: [_("A whole number of zero or more.")]})
    return int(raw)


def latest_size() -> int:
    latest = ledger_checkpoints.latest_checkpoint()
    return latest.tree_size if latest else ledger.tree_size()


class LedgerView(APIView):
    permission_classes = [permissions.IsAuthenticated, HasRegistryRole]


def size_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, int, description=description)


class CheckpointView(LedgerView):
    """The latest signed checkpoint, or the one of ``?size=N``."""

    @extend_schema(
        parameters=[size_parameter("size", "Tree size of an older checkpoint.")],
        responses={200: CheckpointSerializer, 404: None},
    )
    def get(self, request: Request) -> Response:
        if request.query_params.get("size"):
            checkpoint = LedgerCheckpoint.objects.filter(tree_size=number(request, "size")).first()
        else:
            checkpoint = ledger_checkpoints.latest_checkpoint()
        if checkpoint is None:
            raise Http404(_("No such checkpoint."))
        return Response(checkpoint_data(checkpoint))


class EntriesView(LedgerView):
    """Entries ``[start, end)`` in index order; the payload only where you may see it."""

    @extend_schema(
        parameters=[
            size_parameter("start", "First index (default 0)."),
            OpenApiParameter(
                "recompute",
                bool,
                description="Also give each visible entry's data recomputed from the records.",
            ),
            size_parameter(
                "end",
                "Index after the last (default: start + 100, at most "
                f"{settings.LEDGER_MAX_ENTRIES_PER_REQUEST} entries, at most the tree size).",
            ),
        ],
        responses=EntriesSerializer,
    )
    def get(self, request: Request) -> Response:
        size = ledger.tree_size()
        start = number(request, "start", 0)
        end = number(request, "end", start + 100)
        if end < start:
            raise ValidationError({"end": [_("The end comes before the start.")]})
        end = min(end, start + settings.LEDGER_MAX_ENTRIES_PER_REQUEST, size)
        entries = list(ledger.entries_for(request.user, start, end)) if start < end else []
        rows = [entry_data(entry) for entry in entries]
        if request.query_params.get("recompute") in ("1", "true"):
            add_source_data(rows, [entry for entry in entries if entry.payload_visible])
        return Response(
            {"tree_size": size, "start": start, "end": max(start, end), "entries": rows}
        )


class InclusionProofView(LedgerView):
    """An RFC 6962 audit path of entry ``index`` in the tree of ``tree_size`` entries."""

    @extend_schema(
        parameters=[
            size_parameter("index", "The entry's index."),
            size_parameter("tree_size", "Tree size (default: the latest checkpoint's)."),
        ],
        responses=InclusionProofSerializer,
    )
    def get(self, request: Request) -> Response:
        index = number(request, "index")
        size = number(request, "tree_size", latest_size())
        check_size(size)
        entry = LedgerEntry.objects.filter(index=index).values_list("leaf_hash", flat=True).first()
        if entry is None or index >= size:
            raise ValidationError({"index": [_("No entry %(i)d in that tree.") % {"i": index}]})
        proof = ledger.inclusion_proof(index, size)
        return Response(
            {
                "index": index,
                "tree_size": size,
                "leaf_hash": b64(bytes(entry)),
                "audit_path": [b64(value) for value in proof],
            }
        )


class ConsistencyProofView(LedgerView):
    """An RFC 6962 consistency proof that the tree of ``first`` is a prefix of ``second``."""

    @extend_schema(
        parameters=[
            size_parameter("first", "The older tree size."),
            size_parameter("second", "The newer tree size (default: the latest checkpoint's)."),
        ],
        responses=ConsistencyProofSerializer,
    )
    def get(self, request: Request) -> Response:
        first = number(request, "first")
        second = number(request, "second", latest_size())
        check_size(second)
        try:
            proof = ledger.consistency_proof(first, second)
        except merkle.ProofError as exc:
            raise ValidationError({"first": [str(exc)]}) from exc
        return Response(
            {"first": first, "second": second, "consistency": [b64(value) for value in proof]}
        )


class LedgerKeyView(LedgerView):
    """The public key that signs checkpoints: pin it in your verifier."""

    @extend_schema(responses=LedgerKeySerializer)
    def get(self, request: Request) -> Response:
        return Response(ledger_checkpoints.public_key_info())


def check_size(size: int) -> None:
    if not 0 < size <= ledger.tree_size():
        raise ValidationError({"tree_size": [_("The log has no tree of that size.")]})


urlpatterns = [
    path("ledger/checkpoint/", CheckpointView.as_view(), name="api-ledger-checkpoint"),
    path("ledger/entries/", EntriesView.as_view(), name="api-ledger-entries"),
    path("ledger/proof/inclusion/", InclusionProofView.as_view(), name="api-ledger-inclusion"),
    path(
        "ledger/proof/consistency/", ConsistencyProofView.as_view(), name="api-ledger-consistency"
    ),
    path("ledger/key/", LedgerKeyView.as_view(), name="api-ledger-key"),
]


# --- receipts in the answers of other endpoints ----------------------------------------------


@functools.cache
def with_ledger(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The answer's serializer plus ``ledger`` (the receipt), for the OpenAPI schema."""
    attrs: dict = {
        "ledger": LedgerReceiptSerializer(
            read_only=True,
            allow_null=True,
            help_text="Where this event is in the evidence log: its index and leaf hash.",
        )
    }
    meta = getattr(serializer_class, "Meta", None)
    if meta is not None and isinstance(getattr(meta, "fields", None), list | tuple):
        attrs["Meta"] = type("Meta", (meta,), {"fields": [*meta.fields, "ledger"]})
    name = serializer_class.__name__.removesuffix("Serializer") + "WithLedgerSerializer"
    return type(name, (serializer_class,), attrs)


def receipt_of(kinds, source_id: int) -> dict | None:
    found = ledger.receipt_for(kinds, source_id, just_recorded=True)
    return found.as_dict() if found is not None else None


def version_receipt(version) -> dict | None:
    return receipt_of(VERSION_KINDS.values(), version.pk)


def acknowledgement_receipt(acknowledgement) -> dict | None:
    return receipt_of([LedgerKind.ACKNOWLEDGEMENT], acknowledgement.pk)


def answer_receipt(clarification) -> dict | None:
    return receipt_of([LedgerKind.CLARIFICATION_ANSWERED], clarification.pk)
