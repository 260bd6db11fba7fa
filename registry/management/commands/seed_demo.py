"""Create, idempotently, the states, organisations, commitments and demo users."""

from __future__ import annotations

import secrets
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from registry.management.demo_history import seed_history
from registry.models import Commitment, Organisation, Participation, State
from registry.seed_data import COMMITMENTS, ORGANISATIONS, STATES
from registry.services import onboard_official


class Command(BaseCommand):
    help = (
        "Seed the seven states, the EU, NATO and OSCE, the commitments VD11 and WB-RTA and the "
        "demo users (<cc>-liaison, <cc>-official, eu-monitor, nato-monitor, osce-monitor, "
        "secretariat). Running it again changes nothing but the demo users' password. "
        "With --with-history, also a synthetic history of notices, responses and findings "
        "from 2023 to today, so the monitors' pages have years to show."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", help="Password of every demo user (default: generated).")
        parser.add_argument(
            "--with-history",
            action="store_true",
            help="Also import the demo history (registry/demo_history.py); idempotent.",
        )

    def handle(self, *args, **options) -> None:
        self._seed(options)
        if options["with_history"]:
            self._seed_history()

    @transaction.atomic
    def _seed(self, options) -> None:
        for code, name in STATES.items():
            State.objects.update_or_create(code=code, defaults={"name": name})
        commitments = [self._seed_commitment(code, spec) for code, spec in COMMITMENTS.items()]
        for code, name in ORGANISATIONS.items():
            organisation, _ = Organisation.objects.update_or_create(
                code=code, defaults={"name": name}
            )
            organisation.commitments.add(*commitments)
        password = options["password"] or secrets.token_urlsafe(9)
        usernames = self._seed_users(password)
        self.stdout.write(self.style.SUCCESS("Seeded 7 states, 3 organisations, VD11 and WB-RTA."))
        self.stdout.write(f"Demo users: {', '.join(usernames)}")
        self.stdout.write(f"Demo password: {password}")

    def _seed_history(self) -> None:
        started = time.monotonic()
        secretariat = get_user_model().objects.get(username="secretariat")
        tally = seed_history(default_user=secretariat)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo history: {tally['imported']} notices imported, {tally['present']} "
                f"already present, {tally['findings']} new findings "
                f"({time.monotonic() - started:.1f} s)."
            )
        )

    @staticmethod
    def _seed_commitment(code: str, spec: dict) -> Commitment:
        parameters = {k: v for k, v in spec.items() if k != "participants"}
        commitment, _ = Commitment.objects.update_or_create(code=code, defaults=parameters)
        for state_code, (role, joined_on) in spec["participants"].items():
            Participation.objects.update_or_create(
                commitment=commitment,
                state_id=state_code,
                defaults={"role": role, "joined_on": joined_on},
            )
        return commitment

    @staticmethod
    def _seed_users(password: str) -> list[str]:
        usernames = []
        for code in STATES:
            state = State.objects.get(code=code)
            for suffix, role in (("liaison", "liaison"), ("official", "counterpart")):
                username = f"{code.lower()}-{suffix}"
                onboard_official(username=username, roles=[role], state=state, password=password)
                usernames.append(username)
        for code in ORGANISATIONS:
            username = f"{code.lower()}-monitor"
            organisation = Organisation.objects.get(code=code)
            onboard_official(
                username=username, roles=["monitor"], organisation=organisation, password=password
            )
            usernames.append(username)
        onboard_official(username="secretariat", roles=["secretariat"], password=password)
        usernames.append("secretariat")
        return usernames
