"""Load historical notices from a JSON-lines file (format: ``registry.services.history``)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DataError, IntegrityError, transaction

from registry.services import RegistryError
from registry.services.history import import_notice, parse_line

DEFAULT_USER = "secretariat"

#: What a bad line can raise; anything else is a fault of the registry and stops the run.
LINE_ERRORS = (RegistryError, ValueError, KeyError, TypeError, IntegrityError, DataError)


class Command(BaseCommand):
    help = (
        "Import historical notices, one JSON object per line, with their original filing "
        "times, acknowledgements and clarifications (the format is in registry/history.py). "
        "Each line is imported on its own; a bad line is reported and skipped. Running the "
        "same file again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="A JSON-lines file, or - for standard input.")
        parser.add_argument(
            "--user",
            help=f"The importing official, the filer of lines with no known filed_by "
            f"(default: {DEFAULT_USER}).",
        )
        parser.add_argument(
            "--check", action="store_true", help="Validate every line and write nothing."
        )

    def handle(self, *args, **options) -> None:
        user = importing_user(options["user"])
        check = options["check"]
        tally: Counter[str] = Counter()
        with open_lines(options["file"]) as lines:
            for number, text in enumerate(lines, start=1):
                if not text.strip():
                    continue
                try:
                    created = import_line(text, user, check=check)
                except LINE_ERRORS as exc:
                    tally["errors"] += 1
                    self.stderr.write(f"line {number}: {describe_error(exc)}")
                    continue
                tally["imported" if created else "present"] += 1
        self._summarise(tally, check)

    def _summarise(self, tally: Counter[str], check: bool) -> None:
        imported = "would be imported" if check else "imported"
        summary = (
            f"{tally['imported']} {imported}, {tally['present']} already present, "
            f"{tally['errors']} with errors."
        )
        self.stdout.write(summary + (" Nothing was written (--check)." if check else ""))
        if tally["errors"]:
            raise CommandError(f"{tally['errors']} line(s) could not be imported.")


def importing_user(username: str | None):
    users = get_user_model().objects
    user = users.filter(username=username or DEFAULT_USER).first()
    if user is None:
        raise CommandError(
            f"No user named {username!r}."
            if username
            else f"No user named {DEFAULT_USER!r}: give the importing official with --user."
        )
    return user


def import_line(text: str, user, *, check: bool) -> bool:
    """Import one line in its own transaction (rolled back under --check); True if new."""
    data = json.loads(text)
    with transaction.atomic():
        filing = import_notice(parse_line(data, user))
        if check:
            transaction.set_rollback(True)
    return filing.created


@contextmanager
def open_lines(path: str) -> Iterator[Any]:
    if path == "-":
        yield sys.stdin
        return
    try:
        with open(path, encoding="utf-8") as handle:
            yield handle
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc


def describe_error(exc: Exception) -> str:
    """One line: the message, then each field error as ``path: message``."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg}, column {exc.colno})"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, RegistryError):
        details = "; ".join(f"{path}: {message}" for path, message in flatten(exc.errors))
        return f"{exc.message} {details}".strip()
    return str(exc) or type(exc).__name__


def flatten(errors: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Nested field errors (dicts, lists of rows, lists of messages) as (path, message)."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from flatten(value, f"{path}.{key}" if path else str(key))
    elif isinstance(errors, list) and any(isinstance(e, (dict, list)) for e in errors):
        for position, value in enumerate(errors, start=1):
            if value:
                yield from flatten(value, f"{path}[{position}]")
    elif isinstance(errors, list):
        for message in errors:
            yield path or "line", str(message)
    else:
        yield path or "line", str(errors)
