"""The synthetic history of ``python -m bench compliance``: 57 states, 10 years, in bulk SQL.

A benchmark commitment, ``RTA-57`` (WB-RTA's parameters: every kind of deadline), taken
part in by the 7 seeded states and 50 more of the OSCE's, each with a liaison, a
counterpart official and a registry inbox. Each state's history follows a ``laxity`` (0
to 0.9): the laxer, the more often late, missing or silent.

The history is first drawn into temporary tables, one row per notice (``plan``) and per
version (``versions``), with every decision taken there (sizes, dates, amendments,
cancellations); the registry's tables are then filled from them by INSERT … SELECT, as
the services would have written them for notices filed live: the versions with the
assessment ``registry.rules`` gives (recomputed here in SQL, and checked on a sample
against the rules by ``check_sample``), the content rows, one recipient row and one
registry-inbox delivery per version and recipient (the states have no other endpoint, so
the inbox is all that filing writes, delivered on filing), the acknowledgements, the
clarifications with their two inbox deliveries, the registry's own findings (sizes just
under the threshold, sizes raised by an amendment), monitors' findings, and the reference
counters. The evidence log is left empty: the compliance engine never reads it.

Everything is built in one transaction. The big tables (recipients, deliveries,
acknowledgements, receipts) lose their foreign keys and secondary indexes for the load and
get them back at the end, which validates every row against them at once (PostgreSQL's
advice for bulk loads); check constraints stay on throughout. The compliance triggers
(migration ``registry.0007``) are switched off during the load, inside the transaction, and
the receipts are then filled from their view in one statement, as the migration fills them
for existing records; ``check_sample`` compares them with the deliveries.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

COMMITMENT = "RTA-57"
#: The OSCE's participating states beside the seven seeded ones (Kosovo among those), 50 in all.
MORE_STATES = {
    "AD": "Andorra", "AM": "Armenia", "AT": "Austria", "AZ": "Azerbaijan", "BE": "Belgium",
    "BG": "Bulgaria", "BY": "Belarus", "CA": "Canada", "CH": "Switzerland", "CY": "Cyprus",
    "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "EE": "Estonia", "ES": "Spain",
    "FI": "Finland", "FR": "France", "GB": "United Kingdom", "GE": "Georgia", "GR": "Greece",
    "HU": "Hungary", "IE": "Ireland", "IS": "Iceland", "IT": "Italy", "KG": "Kyrgyzstan",
    "KZ": "Kazakhstan", "LI": "Liechtenstein", "LT": "Lithuania", "LU": "Luxembourg",
    "LV": "Latvia", "MC": "Monaco", "MD": "Moldova", "MN": "Mongolia", "MT": "Malta",
    "NL": "Netherlands", "NO": "Norway", "PL": "Poland", "PT": "Portugal", "RO": "Romania",
    "RU": "Russian Federation", "SE": "Sweden", "SI": "Slovenia", "SK": "Slovakia",
    "SM": "San Marino", "TJ": "Tajikistan", "TM": "Turkmenistan", "TR": "Türkiye",
    "UA": "Ukraine", "US": "United States", "UZ": "Uzbekistan",
}  # fmt: skip
#: A year of one state: exercises and procurement notices (plus a calendar and a plan).
EXERCISES_PER_YEAR = 150
PROCUREMENT_NOTICES_PER_YEAR = 40
SEED = 0.57


@dataclass(frozen=True)
class History:
    """What to build: the years (the last is the current one, filled up to ``now``)."""

    first_year: int
    last_year: int
    now: dt.datetime

    def params(self, commitment) -> dict:
        return {
            "cid": commitment.pk,
            "tz": commitment.time_zone,
            "first": self.first_year,
            "last": self.last_year,
            "now": self.now,
            "n_ex": EXERCISES_PER_YEAR,
            "n_pn": PROCUREMENT_NOTICES_PER_YEAR,
        }


# --- the registry's small tables, through the ORM -------------------------------------------------


def setup_commitment():
    """The benchmark commitment, its 57 participants, their officials and inboxes."""
    from notifications.dispatch import endpoints_of
    from registry.models import Commitment, Organisation, Participation, State
    from registry.seed_data import COMMITMENTS, STATES
    from registry.services import onboard_official

    for code, name in MORE_STATES.items():
        State.objects.update_or_create(code=code, defaults={"name": name})
    parameters = {k: v for k, v in COMMITMENTS["WB-RTA"].items() if k != "participants"}
    parameters.update(
        name="Regional transparency arrangement of 57 states (benchmark)",
        description="Synthetic: WB-RTA's parameters, the OSCE's states.",
    )
    commitment, _ = Commitment.objects.update_or_create(code=COMMITMENT, defaults=parameters)
    codes = sorted({*STATES, *MORE_STATES})
    for code in codes:
        Participation.objects.get_or_create(
            commitment=commitment, state_id=code, defaults={"joined_on": dt.date(2011, 1, 1)}
        )
        if code in MORE_STATES:
            state = State.objects.get(pk=code)
            onboard_official(username=f"{code.lower()}-liaison", roles=["liaison"], state=state)
            onboard_official(
                username=f"{code.lower()}-official", roles=["counterpart"], state=state
            )
    for organisation in Organisation.objects.all():
        organisation.commitments.add(commitment)
    endpoints_of(codes)
    return commitment


# --- the plan: every decision, one row per notice -------------------------------------------------

STATES_SQL = """
CREATE TEMP TABLE bench_states AS
SELECT s.code, row_number() OVER (ORDER BY s.code)::int AS n,
       (row_number() OVER (ORDER BY s.code) %% 10) / 10.0 AS laxity,
       l.id AS liaison_id, o.id AS official_id, e.id AS inbox_id
FROM registry_state s
JOIN registry_participation p ON p.state_id = s.code AND p.commitment_id = %(cid)s
JOIN auth_user l ON l.username = lower(s.code) || '-liaison'
JOIN auth_user o ON o.username = lower(s.code) || '-official'
JOIN notifications_endpoint e ON e.state_id = s.code AND e.kind = 'inbox'
"""

#: Exercises: 2 % declared just under the threshold, 36 % voluntary, 5 % snap, the rest
#: regular; late (filed under 42 days ahead) more often the laxer the state; 4 % moved
#: earlier, 4 % later, some voluntary ones raised over the threshold; 3 to 6 % cancelled.
EXERCISE_DRAWS_SQL = """
CREATE TEMP TABLE bench_exercise_draws AS
SELECT s.code AS state, s.laxity, y,
       make_date(y, 1, 1) + floor(random() * (make_date(y + 1, 1, 1) - make_date(y, 1, 1)))::int
           AS start1,
       random() AS r_class, random() AS r_late, random() AS r_lead, random() AS r_time,
       random() AS r_amend, random() AS r_cancel, random() AS r_size, random() AS r_gap1,
       random() AS r_gap2, random() AS r_shift
FROM bench_states s, generate_series(%(first)s, %(last)s) AS y,
     generate_series(1, %(n_ex)s) AS k
"""

PLAN_TABLE_SQL = """
CREATE TEMP TABLE bench_plan (
    id bigint, state text, kind text, first_filed_at timestamptz, amended_at timestamptz,
    cancelled_at timestamptz, start1 date, start2 date, troops1 int, troops2 int,
    snap boolean, period int, nil boolean, contract_date date, quantity1 int, quantity2 int
)
"""

EXERCISES_SQL = """
INSERT INTO bench_plan (state, kind, first_filed_at, amended_at, cancelled_at, start1, start2,
                        troops1, troops2, snap)
SELECT state, 'exercise', filed, amended, cancelled, start1, start2, troops1, troops2, snap
FROM (
    SELECT d.*, c.filed, c.amended,
           CASE WHEN r_cancel < 0.03 + 0.03 * laxity
                     AND coalesce(c.amended, c.filed) + (1 + r_gap2 * 100) * interval '1 hour'
                         <= %(now)s
                THEN coalesce(c.amended, c.filed) + (1 + r_gap2 * 100) * interval '1 hour'
           END AS cancelled
    FROM (
        SELECT b.*,
               CASE amend WHEN 'earlier' THEN start1 - (3 + floor(r_shift * 8))::int
                          WHEN 'later' THEN start1 + (5 + floor(r_shift * 16))::int END AS start2,
               CASE WHEN amend = 'raised' THEN 1500 + floor(r_shift * 1500)::int END AS troops2
        FROM (
            SELECT e.*,
                   CASE WHEN r_amend < 0.04 THEN 'earlier' WHEN r_amend < 0.08 THEN 'later'
                        WHEN r_amend < 0.14 AND cls = 'voluntary' THEN 'raised' END AS amend,
                   CASE cls WHEN 'near' THEN 1425 + floor(r_size * 75)::int
                            WHEN 'voluntary' THEN 300 + floor(r_size * 1100)::int
                            WHEN 'snap' THEN 1500 + floor(r_size * 4500)::int
                            ELSE 1500 + floor(r_size * 10500)::int END AS troops1,
                   cls = 'snap' AS snap,
                   CASE cls WHEN 'regular' THEN
                                CASE WHEN r_late < 0.04 + 0.3 * laxity
                                     THEN 10 + floor(r_lead * 32)::int
                                     ELSE 42 + floor(r_lead * 100)::int END
                            WHEN 'snap' THEN
                                CASE WHEN r_late < 0.8 - 0.5 * laxity THEN 0
                                     ELSE -1 - floor(r_lead * 2)::int END
                            ELSE 7 + floor(r_lead * 80)::int END AS lead
            FROM (
                SELECT *, CASE WHEN r_class < 0.02 THEN 'near'
                               WHEN r_class < 0.38 THEN 'voluntary'
                               WHEN r_class < 0.43 THEN 'snap'
                               ELSE 'regular' END AS cls
                FROM bench_exercise_draws
            ) AS e
        ) AS b
    ) AS d,
    LATERAL (
        SELECT pg_temp.local_time(d.start1 - d.lead, d.r_time) AS filed,
               CASE WHEN d.amend IS NOT NULL
                         AND pg_temp.local_time(d.start1 - d.lead, d.r_time)
                             + (1 + d.r_gap1 * 200) * interval '1 hour' <= %(now)s
                    THEN pg_temp.local_time(d.start1 - d.lead, d.r_time)
                         + (1 + d.r_gap1 * 200) * interval '1 hour' END AS amended
    ) AS c
) AS x
WHERE filed <= %(now)s
"""

#: A working-hours moment of a local date, as the registry stores it (UTC).
LOCAL_TIME_FUNCTION_SQL = """
CREATE FUNCTION pg_temp.local_time(day date, r double precision) RETURNS timestamptz AS $$
    SELECT (day + make_interval(secs => 28800 + r * 36000)) AT TIME ZONE %(tz)s
$$ LANGUAGE sql IMMUTABLE
"""

#: Annual calendars (for next year, due 15 November) and procurement plans (due 31 January):
#: on time, late or missing (5 % + 15 % × laxity missing), 5 % amended.
OBLIGATIONS_SQL = """
INSERT INTO bench_plan (state, kind, first_filed_at, amended_at, period, nil)
SELECT state, kind, filed,
       CASE WHEN r_amend < 0.05 THEN filed + (2 + r_gap * 28) * interval '1 day' END,
       period, r_nil < 0.2
FROM (
    SELECT *, pg_temp.local_time(
                  CASE WHEN r < 0.15 + 0.35 * laxity THEN due + (1 + floor(r_late * late_days))::int
                       ELSE due - floor(r_late * 45)::int END,
                  r_time) AS filed
    FROM (
        SELECT s.code AS state, s.laxity, k.kind, p AS period, k.late_days,
               make_date(p + k.years, k.month, k.day) AS due,
               random() AS r, random() AS r_late, random() AS r_time, random() AS r_amend,
               random() AS r_gap, random() AS r_nil
        FROM bench_states s, generate_series(%(first)s, %(last)s + 1) AS p,
             (VALUES ('annual_calendar', -1, 11, 15, 60), ('procurement_plan', 0, 1, 31, 90))
                 AS k(kind, years, month, day, late_days)
    ) AS draws
    WHERE r >= 0.05 + 0.15 * laxity
) AS o
WHERE filed <= %(now)s
"""

#: Procurement notices: due 30 days after the contract; late more often the laxer the state.
PROCUREMENT_NOTICES_SQL = """
INSERT INTO bench_plan (state, kind, first_filed_at, amended_at, cancelled_at, contract_date,
                        quantity1, quantity2)
SELECT state, 'procurement_notice', filed,
       CASE WHEN r_amend < 0.03 THEN filed + interval '3 days' END,
       CASE WHEN r_cancel < 0.01 THEN filed + interval '5 days' END,
       contract_date, quantity, quantity + 2
FROM (
    SELECT *, pg_temp.local_time(
                  contract_date + CASE WHEN r_late < 0.05 + 0.3 * laxity
                                       THEN 31 + floor(r_days * 90)::int
                                       ELSE 1 + floor(r_days * 30)::int END,
                  r_time) AS filed
    FROM (
        SELECT s.code AS state, s.laxity,
               make_date(y, 1, 1) + floor(random() * 365)::int AS contract_date,
               2 + floor(random() * 40)::int AS quantity, random() AS r_late,
               random() AS r_days, random() AS r_time, random() AS r_amend, random() AS r_cancel
        FROM bench_states s, generate_series(%(first)s, %(last)s) AS y,
             generate_series(1, %(n_pn)s) AS k
    ) AS draws
) AS n
WHERE filed <= %(now)s
"""

#: Amendments and cancellations after ``now`` are dropped; notices get their ids in the
#: order they were filed, as the registry would have given them.
PLAN_TIDY_SQL = """
UPDATE bench_plan SET amended_at = NULL WHERE amended_at > %(now)s;
UPDATE bench_plan SET cancelled_at = NULL WHERE cancelled_at > %(now)s;
UPDATE bench_plan SET id = n.id
FROM (SELECT ctid AS row_id, row_number() OVER (ORDER BY first_filed_at) AS id FROM bench_plan) n
WHERE bench_plan.ctid = n.row_id;
UPDATE bench_plan SET start2 = coalesce(start2, start1), troops2 = coalesce(troops2, troops1)
WHERE kind = 'exercise' AND amended_at IS NOT NULL;
CREATE INDEX ON bench_plan (id);
ANALYZE bench_plan
"""

#: One row per version: the first, an amendment, a cancellation; the content each says
#: (a cancellation repeats the last content) and the assessment the rules give it.
VERSIONS_SQL = """
CREATE TEMP TABLE bench_versions AS
SELECT v.*, row_number() OVER (ORDER BY v.filed_at, v.notice_id, v.number) AS id
FROM (
    SELECT p.id AS notice_id, p.state, p.kind, p.first_filed_at, s.status, s.filed_at,
           row_number() OVER (PARTITION BY p.id ORDER BY s.filed_at) AS number,
           count(*) OVER (PARTITION BY p.id) AS versions,
           CASE WHEN s.status = 'filed' OR p.amended_at IS NULL THEN 1 ELSE 2 END AS variant,
           p.period, p.nil AND (s.status = 'filed' OR p.amended_at IS NULL) AS nil,
           p.contract_date, p.snap,
           CASE WHEN s.status = 'filed' OR p.amended_at IS NULL THEN p.start1 ELSE p.start2 END
               AS start_date,
           CASE WHEN s.status = 'filed' OR p.amended_at IS NULL THEN p.troops1 ELSE p.troops2 END
               AS troops,
           CASE WHEN s.status = 'filed' OR p.amended_at IS NULL THEN p.quantity1
                ELSE p.quantity2 END AS quantity
    FROM bench_plan p,
         LATERAL (VALUES ('filed', p.first_filed_at), ('amended', p.amended_at),
                         ('cancelled', p.cancelled_at)) AS s(status, filed_at)
    WHERE s.filed_at IS NOT NULL
) AS v;
ALTER TABLE bench_versions ADD COLUMN due_by date, ADD COLUMN notifiable boolean,
    ADD COLUMN lead_time_days int, ADD COLUMN filed_on date;
UPDATE bench_versions SET
    filed_on = (first_filed_at AT TIME ZONE %(tz)s)::date,
    notifiable = CASE WHEN kind = 'exercise' THEN troops >= 1500 END,
    lead_time_days = CASE WHEN kind = 'exercise'
                          THEN start_date - (first_filed_at AT TIME ZONE %(tz)s)::date END,
    due_by = CASE kind
        WHEN 'exercise' THEN CASE WHEN troops < 1500 THEN NULL
                                  WHEN snap THEN start_date ELSE start_date - 42 END
        WHEN 'annual_calendar' THEN make_date(period - 1, 11, 15)
        WHEN 'procurement_plan' THEN make_date(period, 1, 31)
        ELSE contract_date + 30 END;
CREATE INDEX ON bench_versions (notice_id, number);
CREATE INDEX ON bench_versions (id);
ANALYZE bench_versions
"""

NOTICES_SQL = """
INSERT INTO registry_notice (id, kind, year, sequence, reference, client_ref, submission_digest,
                             status, first_filed_at, commitment_id, created_by_id,
                             current_version_id, state_id, imported)
SELECT p.id, p.kind, p.year, p.sequence,
       p.state || '-' || p.year || '-' ||
           CASE p.kind WHEN 'exercise' THEN 'EX' WHEN 'procurement_plan' THEN 'PP'
                       WHEN 'procurement_notice' THEN 'PN' ELSE 'AC' END
           || '-' || lpad(p.sequence::text, 4, '0'),
       'MOD-' || p.id, encode(sha256(convert_to('bench-' || p.id, 'UTF8')), 'hex'),
       last.status, p.first_filed_at, %(cid)s, s.liaison_id, last.id, p.state, false
FROM (
    SELECT *, row_number() OVER (PARTITION BY state, kind, year ORDER BY first_filed_at, id)
              AS sequence
    FROM (
        SELECT *, extract(year FROM first_filed_at AT TIME ZONE %(tz)s)::int AS year
        FROM bench_plan
    ) AS dated
) AS p
JOIN bench_states s ON s.code = p.state
JOIN bench_versions last ON last.notice_id = p.id AND last.number = last.versions
"""

NOTICE_VERSIONS_SQL = """
INSERT INTO registry_noticeversion (id, number, status, reason, filed_at, notifiable, snap,
    lead_time_days, required_lead_days, due_by, timely, days_late, observation_required,
    air_component_required, amends_id, filed_by_id, notice_id)
SELECT v.id, v.number, v.status,
       CASE v.status WHEN 'amended' THEN 'Changed plans' WHEN 'cancelled' THEN 'Called off'
                     ELSE '' END,
       v.filed_at, v.notifiable, coalesce(v.snap, false), v.lead_time_days,
       CASE WHEN v.notifiable THEN CASE WHEN v.snap THEN 0 ELSE 42 END END,
       v.due_by,
       CASE WHEN v.due_by IS NOT NULL THEN v.filed_on <= v.due_by END,
       CASE WHEN v.due_by IS NOT NULL THEN greatest(0, v.filed_on - v.due_by) END,
       false, false, previous.id, s.liaison_id, v.notice_id
FROM bench_versions v
JOIN bench_states s ON s.code = v.state
LEFT JOIN bench_versions previous
       ON previous.notice_id = v.notice_id AND previous.number = v.number - 1
"""

EXERCISE_CONTENT_SQL = """
INSERT INTO registry_exercisedetails (version_id, name, activity_type, purpose, command_level,
    start_date, end_date, area_description, area_polygon, troops, battle_tanks, acv, artillery,
    helicopters, fixed_wing_sorties, airborne_amphibious_troops, participating_states,
    observers_invited, without_advance_notice, calendar_changes)
SELECT v.id,
       (ARRAY['Northern', 'Southern', 'Mountain', 'River', 'Steadfast', 'Iron', 'Eagle',
              'Granite'])[1 + v.notice_id %% 8] || ' ' ||
       (ARRAY['Shield', 'Guardian', 'Resolve', 'Sentinel', 'Horizon', 'Lance'])
           [1 + v.notice_id %% 6] || ' ' || extract(year FROM v.start_date),
       (ARRAY['field_training', 'live_fire', 'command_post', 'air'])[1 + v.notice_id %% 4],
       'Training of the armed forces',
       CASE WHEN v.troops < 1500 THEN 'battalion' WHEN v.troops < 5000 THEN 'brigade'
            WHEN v.troops < 10000 THEN 'division' ELSE 'corps' END,
       v.start_date, v.start_date + (2 + v.notice_id %% 12)::int,
       'Training area', '[[20.4, 44.7], [20.6, 44.7], [20.6, 44.85], [20.4, 44.85]]'::jsonb,
       v.troops, 0, 0, 0, 0, 0, 0, v.state, false, v.snap, ''
FROM bench_versions v WHERE v.kind = 'exercise'
"""

OBLIGATION_CONTENT_SQL = """
INSERT INTO registry_annualcalendardetails (version_id, year, nil)
SELECT id, period, nil FROM bench_versions WHERE kind = 'annual_calendar';
INSERT INTO registry_calendarentry (position, name, activity_type, start_window_from,
    start_window_to, duration_days, troops, battle_tanks, acv, artillery,
    airborne_amphibious_troops, area_description, version_id)
SELECT e.position, 'Planned exercise ' || e.position, 'field_training',
       make_date(v.period, 2 + 4 * e.position, 1), make_date(v.period, 3 + 4 * e.position, 1),
       7, 1000 + 500 * e.position + 100 * v.variant, 0, 0, 0, 0, 'Training area', v.id
FROM bench_versions v, generate_series(1, 2) AS e(position)
WHERE v.kind = 'annual_calendar' AND NOT v.nil;
INSERT INTO registry_procurementplandetails (version_id, plan_year, budget_approved_on)
SELECT id, period, NULL FROM bench_versions WHERE kind = 'procurement_plan';
INSERT INTO registry_procurementitem (position, category, system, quantity, supplier_state, mode,
    contract_date, delivery_start, delivery_end, value_eur, version_id)
SELECT i.position, 'II', 'Wheeled armoured personnel carrier 8x8', 4 * i.position + v.variant,
       '', 'national_production', NULL, NULL, NULL, NULL, v.id
FROM bench_versions v, generate_series(1, 2) AS i(position)
WHERE v.kind = 'procurement_plan';
INSERT INTO registry_procurementitem (position, category, system, quantity, supplier_state, mode,
    contract_date, delivery_start, delivery_end, value_eur, version_id)
SELECT 1, 'III', 'Self-propelled howitzer 155 mm', v.quantity, 'FR', 'import', v.contract_date,
       NULL, NULL, 5500000 * v.quantity, v.id
FROM bench_versions v WHERE v.kind = 'procurement_notice'
"""

#: Each version reaches every other participant (all 57 take part throughout).
RECIPIENTS_SQL = """
INSERT INTO registry_noticeversion_recipients (noticeversion_id, state_id)
SELECT v.id, r.code FROM bench_versions v JOIN bench_states r ON r.code <> v.state
ORDER BY v.id, r.code
"""

DELIVERIES_SQL = """
INSERT INTO notifications_delivery (message_id, event, status, attempts, retry_step,
    next_attempt_at, lease_expires_at, created_at, delivered_at, last_status_code, last_error,
    clarification_id, recipient_id, version_id, endpoint_id)
SELECT gen_random_uuid(), 'notice.' || v.status, 'delivered', 0, 0,
       v.filed_at + interval '4 ms', NULL, v.filed_at + interval '3 ms',
       v.filed_at + interval '4 ms', NULL, '', NULL, r.code, v.id, r.inbox_id
FROM bench_versions v JOIN bench_states r ON r.code <> v.state
ORDER BY v.id, r.code
"""

#: Most receipts are acknowledged: the current version's by 97 % (laxest 88 %), late (after
#: 72 hours) for 3 % + 25 % × laxity of those; an amended or cancelled version's by 60 %.
#: Nothing is acknowledged after ``now``.
ACKNOWLEDGEMENTS_SQL = """
INSERT INTO notifications_acknowledgement (route, comment, acknowledged_at, acknowledged_by_id,
                                           state_id, version_id)
SELECT route, '', at, CASE WHEN route = 'signed_url' THEN NULL ELSE official_id END, state, version
FROM (
    SELECT d.recipient_id AS state, d.version_id AS version, r.official_id,
           d.delivered_at + CASE WHEN random() < 0.03 + 0.25 * r.laxity
                                 THEN interval '72 hours' + random() * interval '20 days'
                                 ELSE interval '5 minutes'
                                      + power(random(), 2) * interval '71 hours'
                            END AS at,
           (ARRAY['web', 'api', 'signed_url', 'web'])[1 + floor(random() * 4)::int] AS route
    FROM notifications_delivery d
    JOIN bench_versions v ON v.id = d.version_id
    JOIN bench_states r ON r.code = d.recipient_id
    WHERE random() < CASE WHEN v.number = v.versions THEN 0.97 - 0.1 * r.laxity ELSE 0.6 END
) AS a
WHERE at <= %(now)s
ORDER BY at
"""

#: About one current exercise version in 20 draws a question from one of its recipients;
#: answered within 48 hours, late, or not at all. Each question and answer reached the other
#: side's inbox when it was asked or answered.
CLARIFICATIONS_SQL = """
INSERT INTO notifications_clarification (question, asked_at, answer_due_at, answer, answered_at,
    answered_by_id, asked_by_id, asking_state_id, version_id)
SELECT 'Which units take part?', asked, asked + interval '48 hours',
       CASE WHEN a.answered IS NOT NULL THEN 'Two brigades.' ELSE '' END, a.answered,
       CASE WHEN a.answered IS NOT NULL THEN filer.liaison_id END, asker.official_id, asker.code,
       version
FROM (
    SELECT version, filer_code, asker_code, asked,
           CASE WHEN r < 0.7 THEN asked + (1 + r_wait * 46) * interval '1 hour'
                WHEN r < 0.85 THEN asked + (49 + r_wait * 250) * interval '1 hour'
           END AS answered
    FROM (
        SELECT v.id AS version, v.state AS filer_code, d.recipient_id AS asker_code,
               d.delivered_at + (1 + random() * 120) * interval '1 hour' AS asked,
               random() AS r, random() AS r_wait
        FROM bench_versions v
        JOIN notifications_delivery d ON d.version_id = v.id
        WHERE v.kind = 'exercise' AND v.number = v.versions AND random() < 0.05 / 56
    ) AS draws
) AS c
JOIN bench_states filer ON filer.code = c.filer_code
JOIN bench_states asker ON asker.code = c.asker_code
CROSS JOIN LATERAL (SELECT CASE WHEN c.answered <= %(now)s THEN c.answered END AS answered) AS a
WHERE c.asked <= %(now)s;
INSERT INTO notifications_delivery (message_id, event, status, attempts, retry_step,
    next_attempt_at, created_at, delivered_at, last_error, clarification_id, recipient_id,
    version_id, endpoint_id)
SELECT gen_random_uuid(), e.event, 'delivered', 0, 0, e.at, e.at, e.at, '', c.id, s.code,
       c.version_id, s.inbox_id
FROM notifications_clarification c
JOIN registry_noticeversion v ON v.id = c.version_id
JOIN registry_notice n ON n.id = v.notice_id
CROSS JOIN LATERAL (VALUES ('clarification.asked', c.asked_at, n.state_id),
                           ('clarification.answered', c.answered_at, c.asking_state_id))
    AS e(event, at, state)
JOIN bench_states s ON s.code = e.state
WHERE e.at IS NOT NULL
"""

#: The registry's own flags (as ``registry.services.findings.flag_exercise`` words them) and
#: monitors' findings of activities never notified (up to 3 a year, by laxity).
FINDINGS_SQL = """
INSERT INTO registry_finding (kind, year, recorded_at, observed_from, observed_to,
    area_description, area_polygon, estimated_troops, estimated_battle_tanks, estimated_acv,
    estimated_artillery, sources, note, commitment_id, notice_id, organisation_id,
    recorded_by_id, state_id)
SELECT f.kind, extract(year FROM v.start_date), v.filed_at, NULL, NULL, '', NULL, NULL, NULL,
       NULL, NULL, '', n.reference || ' v' || v.number || ': ' || f.note, %(cid)s, n.id, NULL,
       NULL, n.state_id
FROM bench_versions v
JOIN registry_notice n ON n.id = v.notice_id
CROSS JOIN LATERAL (
    SELECT 'near_threshold' AS kind,
           v.troops || ' troops declared, just under the threshold of 1500' AS note
    WHERE v.number = 1 AND v.troops BETWEEN 1425 AND 1499
    UNION ALL
    SELECT 'raised_after_filing', 'troops raised to ' || v.troops
           || ' after filing (threshold 1500)'
    WHERE v.status = 'amended' AND v.troops >= 1500 AND EXISTS (
        SELECT 1 FROM bench_versions first
        WHERE first.notice_id = v.notice_id AND first.number = 1 AND first.troops < 1500)
) AS f
WHERE v.kind = 'exercise';
INSERT INTO registry_finding (kind, year, recorded_at, observed_from, observed_to,
    area_description, area_polygon, estimated_troops, estimated_battle_tanks, estimated_acv,
    estimated_artillery, sources, note, commitment_id, notice_id, organisation_id,
    recorded_by_id, state_id)
SELECT 'unnotified_activity', extract(year FROM seen), seen + 20, seen, seen + 4,
       'Near the border', NULL, 1800 + k * 100, NULL, NULL, NULL, 'Satellite imagery',
       'Brigade-size activity, never notified', %(cid)s, NULL, o.code, u.id, s.code
FROM (
    SELECT s.code, s.laxity, k, random() AS r,
           make_date(y, 1, 1) + floor(random() * 330)::int AS seen,
           (ARRAY['EU', 'NATO', 'OSCE'])[1 + (k + y) %% 3] AS organisation
    FROM bench_states s, generate_series(%(first)s, %(last)s) AS y, generate_series(1, 3) AS k
) AS s
JOIN registry_organisation o ON o.code = s.organisation
JOIN auth_user u ON u.username = lower(o.code) || '-monitor'
WHERE s.r < s.laxity / 3 AND s.seen + 20 <= %(now)s::date
"""

COUNTERS_SQL = """
INSERT INTO registry_referencecounter (kind, year, last, state_id)
SELECT kind, year, max(sequence), state_id FROM registry_notice
WHERE commitment_id = %(cid)s GROUP BY state_id, kind, year
ON CONFLICT (state_id, kind, year) DO UPDATE SET last = greatest(
    registry_referencecounter.last, excluded.last)
"""

#: The receipts of the history, from the view the triggers keep them equal to.
RECEIPTS_SQL = """
INSERT INTO registry_receipt (delivery_id, version_id, recipient_id, commitment_id, year,
                              delivered_at, acknowledged_at)
SELECT delivery_id, version_id, recipient_id, commitment_id, year, delivered_at,
       acknowledged_at
FROM registry_receipt_source WHERE commitment_id = %(cid)s;
DELETE FROM registry_compliancerollup WHERE commitment_id = %(cid)s
"""

#: Tables loaded with explicit ids, whose identity must continue after them.
IDENTITY_TABLES = ("registry_notice", "registry_noticeversion")
BIG_TABLES = (
    "registry_noticeversion_recipients",
    "notifications_delivery",
    "notifications_acknowledgement",
    "registry_receipt",
)
#: The compliance engine's triggers (switched off while the history is loaded).
TRIGGERS_SQL = """
SELECT tgrelid::regclass::text, tgname FROM pg_trigger
WHERE NOT tgisinternal AND (tgname LIKE 'registry_receipts_%'
                            OR tgname LIKE 'registry_compliance_%')
"""


# --- building ---------------------------------------------------------------------------------


def run_sql(statements: str, params: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)


def build(history: History, log: Callable[[str], None] = print) -> dict[str, float]:
    """Build the history in one transaction; seconds taken by each step."""
    from django.db import connection, transaction

    steps: dict[str, float] = {}
    with transaction.atomic():
        commitment = setup_commitment()
    with transaction.atomic():
        params = history.params(commitment)
        run_sql(
            f"SET LOCAL synchronous_commit = off;\nSET LOCAL work_mem = '128MB';\n"
            f"SELECT setseed({SEED})",
            {},
        )
        run_sql(LOCAL_TIME_FUNCTION_SQL.replace("%(tz)s", f"'{commitment.time_zone}'"), {})
        triggers = switch_triggers(enabled=False)
        saved = without_constraints(BIG_TABLES)
        for name, sql in STEPS:
            started = time.monotonic()
            run_sql(sql, params)
            steps[name] = time.monotonic() - started
            log(f"  {name:<28} {steps[name]:6.1f} s")
        started = time.monotonic()
        restore_constraints(saved)
        steps["indexes and constraints"] = time.monotonic() - started
        log(f"  {'indexes and constraints':<28} {steps['indexes and constraints']:6.1f} s")
        run_sql("SET CONSTRAINTS ALL IMMEDIATE", {})  # check the deferred keys now
        switch_triggers(enabled=True, triggers=triggers)
        for table in IDENTITY_TABLES:
            run_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))",
                {},
            )
    started = time.monotonic()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    steps["vacuum analyze"] = time.monotonic() - started
    log(f"  {'vacuum analyze':<28} {steps['vacuum analyze']:6.1f} s")
    return steps


STEPS = [
    ("states", STATES_SQL),
    ("plan: exercises", EXERCISE_DRAWS_SQL + ";\n" + PLAN_TABLE_SQL + ";\n" + EXERCISES_SQL),
    ("plan: obligations", OBLIGATIONS_SQL + ";\n" + PROCUREMENT_NOTICES_SQL),
    ("plan: versions", PLAN_TIDY_SQL + ";\n" + VERSIONS_SQL),
    ("notices and versions", NOTICES_SQL + ";\n" + NOTICE_VERSIONS_SQL),
    ("content", EXERCISE_CONTENT_SQL + ";\n" + OBLIGATION_CONTENT_SQL),
    ("recipients", RECIPIENTS_SQL),
    ("deliveries", DELIVERIES_SQL),
    ("acknowledgements", ACKNOWLEDGEMENTS_SQL),
    ("clarifications", CLARIFICATIONS_SQL),
    ("findings", FINDINGS_SQL),
    ("reference counters", COUNTERS_SQL),
    ("receipts", RECEIPTS_SQL),
]


def switch_triggers(*, enabled: bool, triggers: list | None = None) -> list:
    """Enable or disable the compliance triggers (all of them, found by name if not given)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if triggers is None:
            cursor.execute(TRIGGERS_SQL)
            triggers = cursor.fetchall()
        for table, name in triggers:
            action = "ENABLE" if enabled else "DISABLE"
            cursor.execute(f'ALTER TABLE {table} {action} TRIGGER "{name}"')
    return triggers


def without_constraints(tables: tuple[str, ...]) -> list[str]:
    """Drop the foreign keys, unique constraints and secondary indexes of ``tables``;
    the statements that put them back, in order."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) "
            "AND contype IN ('f', 'u')",
            [list(tables)],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for table, name, _definition, _type in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    restore = [definition for _name, definition in indexes]
    ordered = sorted(constraints, key=lambda c: c[3] == "f")  # unique first, keys last
    restore += [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d, _ in ordered]
    return restore


def restore_constraints(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in statements:
            cursor.execute(statement)


def is_built() -> bool:
    from registry.models import Commitment, Notice

    commitment = Commitment.objects.filter(code=COMMITMENT).first()
    return commitment is not None and Notice.objects.filter(commitment=commitment).exists()


# --- checking that the history is what the services would have written ---------------------------


def check_sample(commitment, size: int = 300) -> list[str]:
    """Problems found in ``size`` random versions (content, assessment, recipients,
    deliveries, flags, references) and in one state's receipts of one year."""
    from registry.models import NoticeVersion

    versions = (
        NoticeVersion.objects.filter(notice__commitment=commitment)
        .order_by("?")
        .select_related("notice__state", "amends")[:size]
    )
    problems = []
    for version in versions:
        problems += [f"{version}: {problem}" for problem in check_version(commitment, version)]
    return problems + check_receipts(commitment)


def check_version(commitment, version) -> list[str]:
    """What the filing services would have written for this version, against what is there."""
    from notifications.dispatch import VERSION_EVENTS
    from registry import rules
    from registry.notice_content import ContentError, content_kind, version_content
    from registry.selectors import recipient_codes

    notice, problems = version.notice, []
    content = version_content(version, notice.kind)
    try:
        content_kind(notice.kind).build(content)  # every field and cross-field rule
    except ContentError as exc:
        problems.append(f"content: {exc.errors}")
    assessment = rules.assess(commitment, notice.kind, content, notice.first_filed_at).as_dict()
    if assessment != {name: getattr(version, name) for name in assessment}:
        problems.append(f"assessment differs from the rules': {assessment}")
    filed_on = rules.local_date(commitment, version.filed_at)
    recipients = recipient_codes(commitment, notice.state, filed_on)
    if version.recipient_codes() != recipients:
        problems.append("recipients are not the other participants")
    inbox = {
        (d.recipient_id, d.event, d.status)
        for d in version.deliveries.filter(clarification=None, endpoint__kind="inbox")
    }
    if inbox != {(code, VERSION_EVENTS[version.status], "delivered") for code in recipients}:
        problems.append("not one delivered inbox delivery per recipient")
    if notice.reference != notice.make_reference(
        notice.state_id, notice.kind, notice.year, notice.sequence
    ):
        problems.append("reference")
    if version.number > 1 and version.amends.number != version.number - 1:
        problems.append("does not amend the version before it")
    return problems + check_flags(commitment, version, content)


def check_flags(commitment, version, content) -> list[str]:
    """A first exercise version declared just under a threshold is flagged once."""
    from registry import rules
    from registry.models import Finding

    if version.notice.kind != "exercise" or version.number != 1:
        return []
    near = bool(rules.near_thresholds(commitment, content))
    flagged = version.notice.findings.filter(kind=Finding.Kind.NEAR_THRESHOLD).exists()
    return [] if near == flagged else [f"near-threshold flag {flagged}, rules say {near}"]


def check_receipts(commitment) -> list[str]:
    """One state's receipts of the last full year: the table against the deliveries."""
    from registry.compliance import receipts_from_deliveries
    from registry.models import Receipt

    year = Receipt.objects.filter(commitment=commitment).order_by("-year").values("year")[1:2]
    year = year[0]["year"] if year else None
    if year is None:
        return ["no receipts"]
    fields = ("pk", "version_id", "delivered_at", "acknowledged_at")
    table = Receipt.objects.filter(commitment=commitment, year=year, recipient_id="RS")
    deliveries = receipts_from_deliveries(commitment, [year]).filter(recipient_id="RS")
    if set(table.values_list(*fields)) != set(deliveries.values_list(*fields)):
        return [f"receipts of RS in {year} differ from the deliveries"]
    return []
