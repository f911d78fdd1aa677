"""A logged decision in plain English, for the social worker or inspector asking "why?".

Pure: decision records (:class:`~mash.domain.decision.DecisionRecord`, as the log stores
them) in, text out. Codes become words (routes, levels, check outcomes, identity matches,
flags, referral sources), every rule that fired is listed with its reason and evidence, and
the human decisions that followed are shown after the proposal: the router only proposes, and
the record must show who confirmed or changed it, when, and why. Times are shown in UK local
time, as staff read them. A route's words are its own (``Route.description``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from mash.domain.decision import DecisionRecord
from mash.domain.routes import Route

UK = ZoneInfo("Europe/London")

LEVELS: Mapping[int, str] = {
    1: "level 1, universal",
    2: "level 2, early help",
    3: "level 3, statutory assessment (child in need)",
    4: "level 4, child protection",
}

AGENCIES: Mapping[str, str] = {"police": "police", "health": "health", "council": "council"}

SOURCES: Mapping[str, str] = {
    "1A": "a family member, relative or carer",
    "1B": "an acquaintance",
    "1C": "the child themself",
    "1D": "another individual",
    "2A": "a school",
    "2B": "education services",
    "3A": "a GP",
    "3B": "a health visitor",
    "3C": "a school nurse",
    "3D": "other primary health services",
    "3E": "an A&E department",
    "3F": "other health services",
    "4": "housing",
    "5A": "social care",
    "5B": "other internal local authority services",
    "5C": "external local authority services",
    "5D": "early help",
    "6": "the police",
    "7": "another legal agency",
    "8": "another source",
    "9": "an anonymous referrer",
    "10": "an unknown source",
}

CHECK_NAMES: Mapping[str, str] = {
    "social-care": "Children's social care",
    "early-help": "Early help",
    "police": "Police",
    "health": "Health",
}

CHECK_OUTCOMES: Mapping[str, str] = {
    "FOUND": "a record was found",
    "NOT_FOUND": "no record was found",
    "UNAVAILABLE": "the check could not be made, and the route was not lowered because of it",
}

MATCHES: Mapping[str, str] = {
    "EXACT": "the child was identified with certainty (same NHS number or UPN)",
    "PROBABLE": "the child was probably identified (name, date of birth and postcode agree)",
    "POSSIBLE": (
        "the child's identity is uncertain (only a possible match): records were not merged "
        "and a person must check before relying on them"
    ),
    "NONE": "the child was not found in other agencies' records",
}

FLAGS: Mapping[str, str] = {
    "CONSENT_NEEDED": "the family's consent is needed before early help can start",
    "CHECKS_INCOMPLETE": (
        "not every agency check could be made, so the child was routed to at least an "
        "assessment rather than risk missing something"
    ),
    "IDENTITY_UNCERTAIN": "the child's identity is uncertain; check it before acting on records",
    "ENGINE_ERROR": (
        "the rules could not be applied automatically, so the child went to assessment "
        "for a person to decide"
    ),
    "INVALID_NHS_NUMBER": "the NHS number given fails its check digit",
    "UNKNOWN_CONCERN_CODES": "the referral used concern codes the hub does not know",
}


def when(value: Any) -> str:
    """An ISO time as '20 May 2026 at 10:15 (UK time)'; anything else as given."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return str(value)
    return moment.astimezone(UK).strftime("%-d %B %Y at %H:%M (UK time)")


def _words(code: str) -> str:
    return code.replace("_", " ").replace("-", " ").lower()


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return "; ".join(f"{_words(str(k))} {_value(v)}" for k, v in value.items())
    if value is None:
        return "not known"
    return str(value)


def describe_route(route: str | None) -> str:
    if route is None:
        return "the route proposed"
    known = Route.parse(route)
    return f"{route} ({known.description if known is not None else 'an unknown route'})"


def _heading(d: DecisionRecord) -> list[str]:
    agency = AGENCIES.get(str(d.get("agency")), str(d.get("agency") or "unknown agency"))
    index = d.get("child_index")
    child = f"child {index + 1}" if isinstance(index, int) else "a child"
    source = SOURCES.get(str(d.get("source_code")), "an unrecorded source")
    return [
        f"Decision {d.get('decision_id')}",
        f"About {child} in {agency} referral {d.get('source_id')} "
        f"(referred by {source}; child key {d.get('child_key')}, "
        f"household {d.get('household_id')}).",
    ]


def _proposal(d: DecisionRecord) -> list[str]:
    level = d.get("level")
    level_text = LEVELS.get(level, f"level {level}") if isinstance(level, int) else "no level"
    return [
        "",
        f"Proposed route: {describe_route(d.get('route'))}.",
        f"Level of need: {level_text}.",
        f"Received {when(d.get('received_at'))}; decided {when(d.get('decided_at'))} "
        f"by {d.get('decided_by')} under rule set {d.get('rule_set_version')}.",
        f"Deadline: {when(d.get('deadline'))}.",
    ]


def _rules(d: DecisionRecord) -> list[str]:
    rules: Sequence[Mapping[str, Any]] = d.get("rules") or []
    if not rules:
        return ["", "Why: no rule fired, so the lowest level applies."]
    lines = ["", "Why (every rule that applied, highest level first):"]
    ordered = sorted(rules, key=lambda r: -int(r.get("level") or 0))
    for number, rule in enumerate(ordered, start=1):
        lines.append(
            f"  {number}. {rule.get('reason')} (rule {rule.get('id')}, level {rule.get('level')})"
        )
        evidence = rule.get("evidence") or {}
        if evidence:
            lines.append(f"     Evidence: {_value(evidence)}.")
    return lines


_DETAIL_KEYS = frozenset({"outcome", "match", "score", "reason", "person_id", "updated_at"})


def _check_line(kind: str, outcome: str, detail: Mapping[str, Any]) -> list[str]:
    """One agency check: the outcome in words, why, and what the record says (no narrative)."""
    name = CHECK_NAMES.get(kind, kind)
    said = CHECK_OUTCOMES.get(outcome, _words(str(outcome)))
    reason = detail.get("reason")
    if outcome == "UNAVAILABLE" and reason:
        said = f"{said} ({reason})"
    if outcome == "FOUND":
        match = str(detail.get("match") or "").lower() or "a"
        said += f", {match} match" + (f": {reason}" if reason else "")
        if detail.get("person_id"):
            said += f"; their record {detail['person_id']}"
        if detail.get("updated_at"):
            said += f", updated {when(detail['updated_at'])}"
    lines = [f"  - {name}: {said}."]
    record = {k: v for k, v in detail.items() if k not in _DETAIL_KEYS}
    if record:
        lines.append(f"    What the record says: {_value(record)}.")
    return lines


def _checks(d: DecisionRecord) -> list[str]:
    checks: Mapping[str, str] = d.get("checks") or {}
    details: Mapping[str, Any] = d.get("check_details") or {}
    if not checks:
        return ["", "Checks with other agencies: none were recorded."]
    lines = ["", "Checks with other agencies:"]
    known = [kind for kind in CHECK_NAMES if kind in checks]
    for kind in known + sorted(set(checks) - set(known)):
        detail = details.get(kind)
        lines += _check_line(kind, checks[kind], detail if isinstance(detail, Mapping) else {})
    return lines


def _identity_and_flags(d: DecisionRecord) -> list[str]:
    match = str(d.get("match"))
    score = d.get("match_score")
    scored = f" (match score {score:.2f})" if isinstance(score, int | float) else ""
    lines = ["", f"Identity: {MATCHES.get(match, _words(match))}{scored}."]
    flags: Sequence[str] = d.get("flags") or []
    if flags:
        lines.append("Flags for the worker:")
        lines += [f"  - {flag}: {FLAGS.get(flag, _words(flag))}." for flag in flags]
    else:
        lines.append("Flags for the worker: none.")
    return lines


def _staff_action(o: DecisionRecord, proposed: str | None) -> str:
    actor, at = o.get("decided_by"), when(o.get("decided_at"))
    if o.get("action") == "APPROVE":
        verb = f"approved the route {describe_route(o.get('route') or proposed)}"
    elif o.get("action") == "CONFIRM" or o.get("route") in (None, proposed):
        verb = f"confirmed the route {describe_route(o.get('route') or proposed)}"
    else:
        verb = f"changed the route from {proposed} to {describe_route(o.get('route'))}"
    return f"  - {at}: {actor} {verb}. Reason: {o.get('reason')}"


_ACTION_WORDS = {
    "CLAIM": "took it to work on",
    "REFUSE": "refused the request awaiting approval",
    "APPROVE": "approved the close",
    "RELEASE": "handed it back to the queue",
}


def _step(a: DecisionRecord) -> str:
    """One staff step that left the route as it was (an ``action`` entry), in words."""
    actor, at, action = a.get("decided_by"), when(a.get("decided_at")), str(a.get("action"))
    if a.get("awaiting_approval"):
        asked = "closing it" if action == "CLOSE" else f"the route {a.get('route')}"
        verb = f"asked for {asked}, awaiting approval ({a.get('awaiting_approval')})"
    elif action == "TRANSFER":
        where = str(a.get("destination") or "").replace("_", " ").lower()
        detail = f" ({a.get('detail')})" if a.get("detail") else ""
        verb = f"transferred the child to {where}{detail}"
    elif action == "CLOSE":
        verb = f"closed it: {str(a.get('close_reason')).replace('_', ' ').lower()}"
    else:
        verb = _ACTION_WORDS.get(action, _words(action))
    reason = f" Reason: {a.get('reason')}" if a.get("reason") else ""
    return f"  - {at}: {actor} {verb}.{reason}"


def _human_review(
    d: DecisionRecord,
    overrides: Sequence[DecisionRecord],
    actions: Sequence[DecisionRecord] = (),
) -> list[str]:
    if not overrides and not actions:
        return [
            "",
            "Human review: not yet confirmed or overridden. This route is the router's "
            "proposal; a member of hub staff must confirm or change it.",
        ]
    lines = ["", "Human review (this decision stays in the log; these entries follow it):"]
    steps = sorted(
        [(str(o.get("decided_at")), _staff_action(o, d.get("route"))) for o in overrides]
        + [(str(a.get("decided_at")), _step(a)) for a in actions],
        key=lambda pair: pair[0],
    )
    lines += [line for _, line in steps]
    if not overrides:
        lines.append("Route now: the router's proposal, not yet decided by a person.")
        return lines
    final = overrides[-1].get("route") or d.get("route")
    lines.append(f"Route now: {describe_route(final)}.")
    return lines


def explain(
    decision: DecisionRecord,
    overrides: Sequence[DecisionRecord] = (),
    actions: Sequence[DecisionRecord] = (),
) -> str:
    """The whole story of one decision, in words a social worker understands."""
    lines = [
        *_heading(decision),
        *_proposal(decision),
        *_rules(decision),
        *_checks(decision),
        *_identity_and_flags(decision),
        *_human_review(decision, overrides, actions),
    ]
    return "\n".join(lines)


def explain_override(override: DecisionRecord, superseded: DecisionRecord | None) -> str:
    """A staff entry on its own: what it changed, then the decision it superseded."""
    proposed = None if superseded is None else superseded.get("route")
    lines = [
        f"Staff decision {override.get('decision_id')}",
        f"Supersedes decision {override.get('supersedes')}.",
        _staff_action(override, proposed).strip().removeprefix("- "),
    ]
    if superseded is None:
        lines.append("The superseded decision is not in the log.")
    else:
        lines += ["", "The decision it superseded:", "", explain(superseded, [override])]
    return "\n".join(lines)
