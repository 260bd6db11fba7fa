"""The regimes, states and organisations the registry ships with (DOMAIN.md §2-3).

Every number here is data: ``seed_demo`` writes it to the commitment records, and the
rules read it from there. Change a regime in the admin, not here.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_noop

#: Stored in English; shown in the reader's language (``State.local_name``).
STATES = {
    "AL": gettext_noop("Albania"),
    "BA": gettext_noop("Bosnia and Herzegovina"),
    "HR": gettext_noop("Croatia"),
    "XK": gettext_noop("Kosovo"),
    "ME": gettext_noop("Montenegro"),
    "MK": gettext_noop("North Macedonia"),
    "RS": gettext_noop("Serbia"),
}

ORGANISATIONS = {
    "EU": "European Union",
    "NATO": "North Atlantic Treaty Organization",
    "OSCE": "Organization for Security and Co-operation in Europe",
}

COMMITMENTS = {
    "VD11": {
        "name": "OSCE Vienna Document 2011",
        "description": (
            "Prior notification of certain military activities, annual calendars and "
            "defence planning under the OSCE's Vienna Document 2011."
        ),
        "time_zone": "Europe/Vienna",
        "exercise_lead_days": 42,
        "snap_notice_days": 0,
        "threshold_troops": 9000,
        "threshold_battle_tanks": 250,
        "threshold_acv": 500,
        "threshold_artillery": 250,
        "threshold_airborne_amphibious_troops": 3000,
        "air_component_sorties": 200,
        "observation_troops": 13000,
        "observation_battle_tanks": 300,
        "observation_airborne_amphibious_troops": 3500,
        "calendar_due_month": 11,
        "calendar_due_day": 15,
        "calendar_due_years_before": 1,
        "procurement_plan_due_month": None,
        "procurement_plan_due_day": None,
        "procurement_plan_months_after_budget": 3,
        "procurement_notice_days": None,
        "acknowledgement_hours": 72,
        "clarification_hours": 48,
        "participants": {
            code: ("participant", dt.date(2011, 12, 1))
            for code in ("AL", "BA", "HR", "ME", "MK", "RS")
        },
    },
    "WB-RTA": {
        "name": "Western Balkans Regional Transparency Arrangement",
        "description": (
            "A regional measure in the spirit of the Vienna Document's chapter on regional "
            "measures, with thresholds scaled to the region's forces."
        ),
        "time_zone": "Europe/Belgrade",
        "exercise_lead_days": 42,
        "snap_notice_days": 0,
        "threshold_troops": 1500,
        "threshold_battle_tanks": 25,
        "threshold_acv": 50,
        "threshold_artillery": 25,
        "threshold_airborne_amphibious_troops": 500,
        "air_component_sorties": None,
        "observation_troops": None,
        "observation_battle_tanks": None,
        "observation_airborne_amphibious_troops": None,
        "calendar_due_month": 11,
        "calendar_due_day": 15,
        "calendar_due_years_before": 1,
        "procurement_plan_due_month": 1,
        "procurement_plan_due_day": 31,
        "procurement_plan_due_years_before": 0,
        "procurement_plan_months_after_budget": None,
        "procurement_notice_days": 30,
        "acknowledgement_hours": 72,
        "clarification_hours": 48,
        "participants": {code: ("participant", dt.date(2022, 7, 1)) for code in STATES},
    },
}
