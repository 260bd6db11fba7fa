"""Onboard a real official: ``manage.py add_official USER --state RS --role liaison``."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry.models import Organisation, State
from registry.services import ROLES, RegistryError, onboard_official


class Command(BaseCommand):
    help = "Create or update an official and their roles; prints a generated first password."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--state", help="ISO code of the official's state (liaison, counterpart)."
        )
        parser.add_argument("--organisation", help="Monitoring organisation code (monitor).")
        parser.add_argument(
            "--role",
            action="append",
            choices=ROLES,
            required=True,
            help="Repeat for several roles.",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Set this password instead of generating one.")

    def handle(self, *args, **options) -> None:
        state = self._get(State, options["state"], "state")
        organisation = self._get(Organisation, options["organisation"], "organisation")
        password = options["password"] or secrets.token_urlsafe(12)
        if options["password"]:
            self._check_password(options["password"], options["username"])
        try:
            official = onboard_official(
                username=options["username"],
                roles=options["role"],
                state=state,
                organisation=organisation,
                email=options["email"],
                password=password,
            )
        except RegistryError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{official} is ready."))
        if not options["password"]:
            self.stdout.write(f"First password: {password}  (ask the official to change it)")

    @staticmethod
    def _check_password(password: str, username: str) -> None:
        """A chosen password must pass the password validators (length, common, numeric)."""
        user = get_user_model()(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    @staticmethod
    def _get(model, code: str | None, what: str):
        if not code:
            return None
        try:
            return model.objects.get(pk=code.upper())
        except model.DoesNotExist as exc:
            raise CommandError(f"No {what} with code {code!r}.") from exc
