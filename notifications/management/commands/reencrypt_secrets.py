"""Re-encrypt every stored webhook secret with the current key: ``manage.py reencrypt_secrets``.

The last step of rotating ``REGISTRY_SECRETS_KEY`` (README, Deployment, step 6): with the
new key current and the old one in ``REGISTRY_SECRETS_OLD_KEYS``, this rewrites every
secret under the new key; the old key can then be removed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from notifications.models import Endpoint


class Command(BaseCommand):
    help = "Re-encrypt every stored webhook secret with REGISTRY_SECRETS_KEY."

    def handle(self, *args, **options) -> None:
        count = 0
        with transaction.atomic():
            endpoints = Endpoint.objects.select_for_update().exclude(secret="", previous_secret="")
            for endpoint in endpoints:  # reading decrypts with any key; saving uses the current
                endpoint.save(update_fields=["secret", "previous_secret"])
                count += 1
        self.stdout.write(f"Re-encrypted the secrets of {count} endpoints with the current key.")
