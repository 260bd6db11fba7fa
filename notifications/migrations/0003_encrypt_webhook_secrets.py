"""Webhook secrets encrypted at rest (notifications.secrets), URLs checked when saved.

The secrets already stored are encrypted here with REGISTRY_SECRETS_KEY (rows are read
and written in SQL: the model's field would try to decrypt the clear values). Reversing
the migration writes them back in clear.
"""

from django.db import migrations, models

import notifications.destinations
import notifications.secrets

TABLE = "notifications_endpoint"


def _rewrite(schema_editor, should_change, change) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, secret, previous_secret FROM {TABLE}")
        for pk, *values in cursor.fetchall():
            if not any(value and should_change(value) for value in values):
                continue
            secret, previous = (
                change(value) if value and should_change(value) else value for value in values
            )
            cursor.execute(
                f"UPDATE {TABLE} SET secret = %s, previous_secret = %s WHERE id = %s",
                [secret, previous, pk],
            )


def encrypt_stored_secrets(apps, schema_editor) -> None:
    from notifications import secrets

    _rewrite(schema_editor, secrets.is_plain, secrets.encrypt)


def decrypt_stored_secrets(apps, schema_editor) -> None:
    from notifications import secrets

    _rewrite(schema_editor, lambda value: not secrets.is_plain(value), secrets.decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_imported_route"),
    ]

    operations = [
        migrations.AlterField(
            model_name="endpoint",
            name="previous_secret",
            field=notifications.secrets.EncryptedSecretField(blank=True),
        ),
        migrations.AlterField(
            model_name="endpoint",
            name="secret",
            field=notifications.secrets.EncryptedSecretField(
                blank=True, help_text="whsec_… signing secret (stored encrypted)."
            ),
        ),
        migrations.AlterField(
            model_name="endpoint",
            name="url",
            field=models.URLField(
                blank=True,
                help_text="HTTPS, on a public address (or in a network the secretariat allows).",
                max_length=500,
                validators=[notifications.destinations.validate_webhook_url],
            ),
        ),
        migrations.RunPython(encrypt_stored_secrets, decrypt_stored_secrets),
    ]
