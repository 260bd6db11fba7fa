"""Receipts refreshed in time independent of the number of deliveries per endpoint.

A filing refreshes the receipts of its handful of deliveries (``registry_receipts_refresh``
from the notice's trigger of ``0007_compliance_receipts``). Without fresh statistics the
planner started that read of ``registry_receipt_source`` from the inbox endpoints and
scanned every delivery of each (0.13 ms per endpoint at 5,000 deliveries each, growing with
the registry). The view now joins the endpoint last, and the refresh keeps the joins in
the view's order (``join_collapse_limit = 1``), so its deliveries are always found by their
ids first; the advisory lock key of a (commitment, year) is computed inline. The rows
and keys are the same: only the order of inner joins changed. Reversing leaves
these equivalent definitions in place.
"""

from django.db import migrations

NOTICE_EVENTS = "('notice.filed', 'notice.amended', 'notice.cancelled')"

INSTALL = f"""
CREATE OR REPLACE VIEW registry_receipt_source AS
SELECT d.id AS delivery_id, d.version_id, d.recipient_id, n.commitment_id,
       extract(year FROM d.delivered_at AT TIME ZONE c.time_zone)::smallint AS year,
       d.delivered_at, a.acknowledged_at
FROM notifications_delivery d
JOIN registry_noticeversion v ON v.id = d.version_id
JOIN registry_notice n ON n.id = v.notice_id AND n.current_version_id = d.version_id
JOIN registry_commitment c ON c.id = n.commitment_id
JOIN notifications_endpoint e ON e.id = d.endpoint_id
LEFT JOIN notifications_acknowledgement a
       ON a.version_id = d.version_id AND a.state_id = d.recipient_id
WHERE e.kind = 'inbox' AND d.event IN {NOTICE_EVENTS} AND d.delivered_at IS NOT NULL;

ALTER FUNCTION registry_receipts_refresh(bigint[]) SET join_collapse_limit = 1;

-- The same key, from immutable casts only, so that PostgreSQL inlines it into the callers.
CREATE OR REPLACE FUNCTION registry_compliance_lock_key(p_commitment bigint, p_year integer)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT hashtextextended(
        'registry.compliance ' || p_commitment::text || ' ' || p_year::text, 0)
$$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0008_languages"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
