"""Free-text accounts, as short and plain as the ones on real forms.

They never name anyone (the hub must not log narrative, but tests and demos print it), and they
agree with the structured fields they accompany: a narrative that says "no injuries" on a
referral flagged with an injury would teach staff to distrust the data.
"""

from __future__ import annotations

from random import Random

TEMPLATES: dict[str, tuple[str, ...]] = {
    "neglect": (
        "Home conditions poor, little food in the house, children unkempt.",
        "Children found home alone late at night, house cold and dirty.",
    ),
    "physical-abuse": (
        "Child has marks to the arm, says a parent hit them.",
        "Neighbour reported shouting and a child crying; child has a bruise to the face.",
    ),
    "emotional-abuse": ("Child constantly belittled and shouted at, appears withdrawn.",),
    "sexual-abuse": ("Child made an allegation of sexual abuse by a family member.",),
    "parental-substance": ("Parent found intoxicated while caring for young children.",),
    "missing": (
        "Reported missing overnight, returned next morning, would not say where.",
        "Third missing episode this month, found in another town.",
    ),
    "exploitation": (
        "Seen with older males, new phone and clothes, carrying cash.",
        "Found in a property linked to drug supply, far from home.",
    ),
    "online": ("Sent images to an adult met online who is now making threats.",),
    "behaviour": ("Arrested for criminal damage, aggressive to officers.",),
    "other": ("Concern raised during an unrelated call-out.",),
    "radicalisation": ("Sharing extremist material online, talking of violence.",),
    "forced-marriage": ("Told a friend they are to be married abroad this summer.",),
    "honour-based-abuse": ("Family threatening the young person over a relationship.",),
    "fgm": ("Disclosure that an older sister underwent FGM; travel abroad planned.",),
    "young-neglect": (
        "Missed immunisations and reviews, parent not engaging.",
        "Not brought to several appointments, development behind.",
    ),
    "chronic": ("Long-term condition poorly managed, repeated missed clinic appointments.",),
    "parental": (
        "Parent's mental health deteriorating, struggling to care for the children.",
        "Parent misusing alcohol, children's needs not met.",
    ),
    "teen-pregnancy": ("Young person pregnant, father's age not known.",),
    "failure-to-thrive": ("Weight falling through centiles, feeding poorly managed.",),
    "missed-checks": ("No access visits, immunisations and development checks missed.",),
    "baby-bruise": ("Bruise seen on a baby at a routine visit.",),
    "self-harm": (
        "Cuts to forearms, says they want to die.",
        "Attended after an overdose of paracetamol.",
    ),
    "disclosure": ("Pupil disclosed harm at home during a drop-in.",),
    "unborn": (
        "Mother disclosed domestic abuse at booking appointment.",
        "Mother using substances in pregnancy, missed antenatal appointments.",
    ),
    "newborn": ("Baby showing withdrawal symptoms, mother used during pregnancy.",),
    "baby-injury": ("Injury to a baby, explanation being explored.",),
    "child-injury": ("Child brought in with an injury, account given by carer.",),
    "intoxication": ("Brought in heavily intoxicated at night.",),
    "assault": ("Assaulted in the street, reluctant to say by whom.",),
    "mental-health": ("Low mood, not attending school, isolating at home.",),
    "fii": ("Reported symptoms not borne out by tests, many hospital attendances.",),
    "disability": ("Complex needs, carers struggling to meet them.",),
    "sexual-abuse-disclosure": ("Told a teacher about sexual abuse at home.",),
    "physical-abuse-disclosure": ("Arrived with a mark to the face, says a parent did it.",),
    "domestic-abuse": ("Says parents argue and fight at night, scared to go home.",),
    "young-carer": ("Caring for a parent, tired, missing school.",),
    "advice": ("Parent asked for advice on parenting support; no concerns.",),
    "attendance": ("Attendance falling, family not responding to letters.",),
    "missing-education": ("Not on any school roll since moving to the area.",),
    "homeless-16-17": ("Asked to leave home by parent, sofa-surfing.",),
    "family-housing": ("Family facing eviction, overcrowded, children's needs affected.",),
    "offending": ("Repeat offending, linked to older peers, carrying a knife.",),
    "step-up": ("Early help plan not making progress, concerns escalating.",),
    "voluntary-sector": ("Worker concerned about the children's care at home.",),
}

CHILD_VOICE = (
    "Child said they hid in the bedroom.",
    "Child said they were scared.",
    "Child was crying and did not want to talk.",
    "Child said this happens a lot.",
    "Child appeared calm and was playing.",
)

_DASH_WORDS = {"STANDARD": "Standard", "MEDIUM": "Medium", "HIGH": "High"}


def narrative(rng: Random, scenario_key: str) -> str:
    """A short account for a scenario."""
    options = TEMPLATES.get(scenario_key, ("Concern about the child's welfare.",))
    return options[int(rng.random() * len(options))]


def domestic_abuse_narrative(
    dash_risk: str, children: int, present: int, strangulation: bool, weapon: bool, marac: bool
) -> str:
    """A police domestic abuse account built from the notification's own facts."""
    parts = [f"{_DASH_WORDS.get(dash_risk, 'Not assessed')} risk DASH"]
    if dash_risk == "NOT_ASSESSED":
        parts = ["DASH not completed, victim declined"]
    if present:
        parts.append(f"{present} of {children} children present")
    else:
        parts.append("children not present")
    if strangulation:
        parts.append("non-fatal strangulation disclosed")
    if weapon:
        parts.append("weapon used")
    if marac:
        parts.append("referred to MARAC")
    return ", ".join(parts) + "."
