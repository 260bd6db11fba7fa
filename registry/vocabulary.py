"""Controlled vocabularies: language-neutral codes with translatable labels.

Structured data stores the codes; screens show the labels in the reader's language.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    EXERCISE = "exercise", _("Exercise notice")
    PROCUREMENT_PLAN = "procurement_plan", _("Procurement plan")
    PROCUREMENT_NOTICE = "procurement_notice", _("Procurement notice")
    ANNUAL_CALENDAR = "annual_calendar", _("Annual calendar")


#: The two letters of each kind in a human reference such as ``RS-2026-EX-0007``.
REFERENCE_CODES = {
    NoticeKind.EXERCISE: "EX",
    NoticeKind.PROCUREMENT_PLAN: "PP",
    NoticeKind.PROCUREMENT_NOTICE: "PN",
    NoticeKind.ANNUAL_CALENDAR: "AC",
}


class NoticeStatus(models.TextChoices):
    FILED = "filed", _("Filed")
    AMENDED = "amended", _("Amended")
    CANCELLED = "cancelled", _("Cancelled")


class ActivityType(models.TextChoices):
    FIELD_TRAINING = "field_training", _("Field training")
    LIVE_FIRE = "live_fire", _("Live fire")
    COMMAND_POST = "command_post", _("Command post")
    AIR = "air", _("Air")
    NAVAL = "naval", _("Naval")
    AMPHIBIOUS = "amphibious", _("Amphibious")
    AIRBORNE = "airborne", _("Airborne")


class CommandLevel(models.TextChoices):
    BATTALION = "battalion", _("Battalion")
    BRIGADE = "brigade", _("Brigade")
    DIVISION = "division", _("Division")
    CORPS = "corps", _("Corps")
    JOINT = "joint", _("Joint / general staff")


class EquipmentCategory(models.TextChoices):
    """UN Register of Conventional Arms categories I-VII, plus the region's extra categories."""

    BATTLE_TANKS = "I", _("I. Battle tanks")
    ACV = "II", _("II. Armoured combat vehicles")
    ARTILLERY = "III", _("III. Large-calibre artillery systems (75 mm and above)")
    COMBAT_AIRCRAFT = "IV", _("IV. Combat aircraft and unmanned combat aerial vehicles")
    ATTACK_HELICOPTERS = "V", _("V. Attack helicopters")
    WARSHIPS = "VI", _("VI. Warships")
    MISSILES = "VII", _("VII. Missiles and missile launchers (25 km and above, MANPADS)")
    SALW = "SALW", _("Small arms and light weapons")
    AIR_DEFENCE = "AD", _("Air defence systems")
    ELECTRONIC_WARFARE = "EW", _("Electronic warfare systems")
    UNARMED_DRONES = "UAV", _("Unarmed drones")
    AMMUNITION = "AMMO", _("Ammunition")


class AcquisitionMode(models.TextChoices):
    IMPORT = "import", _("Import")
    NATIONAL_PRODUCTION = "national_production", _("National production")
    DONATION = "donation", _("Donation")
    LEASE = "lease", _("Lease")


class ParticipationRole(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    VOLUNTARY = "voluntary", _("Voluntary participant")
