"""Code lists of the hub's vocabulary: DfE Children in Need census codes and form extras.

Kept as data in one place so that agencies (which validate what they receive), the router
(which flags what it cannot interpret) and the rules (which fire on codes) agree on one list.
"""

from __future__ import annotations

from typing import Final

# DfE CIN census assessment factors. A/B/C suffixes say who the concern is about
# (A the child, B a parent or carer, C another person in the household).
CIN_FACTOR_CODES: Final[frozenset[str]] = frozenset(
    {
        "1A",
        "1B",
        "1C",  # alcohol misuse
        "2A",
        "2B",
        "2C",  # drug misuse
        "3A",
        "3B",
        "3C",  # domestic abuse
        "4A",
        "4B",
        "4C",  # mental health
        "5A",
        "5B",
        "5C",  # learning disability
        "6A",
        "6B",
        "6C",  # physical disability or illness
        "7A",  # young carer
        "8B",
        "8C",
        "8D",
        "8E",
        "8F",  # privately fostered
        "9A",  # unaccompanied asylum-seeking child
        "10A",  # going missing
        "11A",  # child sexual exploitation
        "12A",  # trafficking
        "13A",  # gangs
        "14A",  # socially unacceptable behaviour
        "15A",  # self-harm
        "16A",  # neglect
        "17A",  # emotional abuse
        "18B",
        "18C",  # physical abuse
        "19B",
        "19C",  # sexual abuse
        "20",  # other
        "21",  # no factors identified
        "22A",  # female genital mutilation
        "23A",  # abuse linked to faith or belief
        "24A",  # child criminal exploitation
    }
)

# Concerns that referral forms carry and the census list lacks (DESIGN.md).
EXTRA_CONCERN_CODES: Final[frozenset[str]] = frozenset(
    {"FII", "FORCED_MARRIAGE", "HONOUR_BASED_ABUSE", "RADICALISATION", "ONLINE_RISK", "HOMELESS"}
)

CONCERN_CODES: Final[frozenset[str]] = CIN_FACTOR_CODES | EXTRA_CONCERN_CODES

HEALTH_INDICATORS: Final[frozenset[str]] = frozenset(
    {
        "MISSED_IMMUNISATIONS",
        "MISSED_APPOINTMENTS",
        "DEVELOPMENTAL_DELAY",
        "FAILURE_TO_THRIVE",
        "CHRONIC_CONDITION_UNTREATED",
        "PREGNANT",
        "SELF_HARM",
        "SUBSTANCE_EXPOSURE",
        "OTHER",
    }
)

# Enumerations the agencies' schemas share (symbols as in the .avsc files).
INJURY_KINDS: Final[frozenset[str]] = frozenset(
    {"BRUISE", "BURN", "FRACTURE", "HEAD_INJURY", "BITE", "LACERATION", "OTHER"}
)
INJURY_SITES: Final[frozenset[str]] = frozenset(
    {
        "FACE",
        "EARS",
        "NECK",
        "HEAD",
        "FRENULUM",
        "TORSO",
        "BUTTOCKS",
        "GENITALS",
        "ARMS",
        "LEGS",
        "HANDS_FEET",
        "MULTIPLE",
        "OTHER",
    }
)
# Hackett's continuum of children's sexual behaviours, least to most concerning.
SEXUAL_BEHAVIOURS: Final[tuple[str, ...]] = (
    "NORMAL",
    "INAPPROPRIATE",
    "PROBLEMATIC",
    "ABUSIVE",
    "VIOLENT",
)
# How often a young person uses drugs or alcohol, least to most.
SUBSTANCE_USE: Final[tuple[str, ...]] = ("NONE", "EXPERIMENTAL", "OCCASIONAL", "REGULAR", "DAILY")
# What a referrer may ask the hub for (council support_requested, health requestedResponse,
# police officer_request).
SUPPORT_REQUESTS: Final[frozenset[str]] = frozenset(
    {"ADVICE", "EARLY_HELP", "ASSESSMENT", "STRATEGY_DISCUSSION"}
)

# DfE CIN census referral sources (DESIGN.md). Only the codes agencies map to are used
# here, but the whole list is kept so that overrides and imports can be validated.
SOURCE_CODES: Final[frozenset[str]] = frozenset(
    {
        "1A",
        "1B",
        "1C",
        "1D",
        "2A",
        "2B",
        "3A",
        "3B",
        "3C",
        "3D",
        "3E",
        "3F",
        "4",
        "5A",
        "5B",
        "5C",
        "5D",
        "6",
        "7",
        "8",
        "9",
        "10",
    }
)

# Flags on a decision: things a person must look at, whatever the route. The router adds the
# data flags; the rule engine adds the rest.
FLAG_IDENTITY_UNCERTAIN: Final = "IDENTITY_UNCERTAIN"
FLAG_ENGINE_ERROR: Final = "ENGINE_ERROR"
FLAG_INVALID_NHS_NUMBER: Final = "INVALID_NHS_NUMBER"
FLAG_UNKNOWN_CODES: Final = "UNKNOWN_CONCERN_CODES"
FLAG_CHECKS_INCOMPLETE: Final = "CHECKS_INCOMPLETE"
FLAG_CONSENT_NEEDED: Final = "CONSENT_NEEDED"
FLAG_OUT_OF_AREA: Final = "OUT_OF_AREA"
"""The child lives outside the hub's local authority area: decided as any other child (never
dropped or lowered), and the flag tells staff to involve the home authority."""
FLAG_STEP_DOWN: Final = "STEP_DOWN"
"""``STEP_DOWN:<route>``: the referrer asked for a higher route than the rules give. The route
stands as a proposal; a team manager approves the step-down or raises it."""
FLAG_NARRATIVE_CONCERN: Final = "NARRATIVE_CONCERN"
"""``NARRATIVE_CONCERN:<category>``: a concern read in the referral's free text (the category,
never the text)."""
