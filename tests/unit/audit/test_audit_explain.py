"""`mash audit show` text: a decision explained in words, with what people did about it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mash.audit.explain import explain, explain_override

MakeDecision = Callable[..., dict[str, Any]]


def test_a_decision_is_explained_in_words(make_decision: MakeDecision) -> None:
    decision = make_decision(
        0,
        route="s47",
        level=4,
        match="POSSIBLE",
        match_score=0.71,
        flags=["IDENTITY_UNCERTAIN", "NEW_FLAG"],
        rules=[
            {
                "id": "l2.da",
                "level": 2,
                "reason": "Domestic abuse in the household.",
                "evidence": {"dash_risk": "HIGH"},
            },
            {
                "id": "l4.dash",
                "level": 4,
                "reason": "High-risk domestic abuse with children.",
                "evidence": {"marac_referral": True, "concerns": ["3A", "3C"]},
            },
        ],
        checks={"health": "UNAVAILABLE", "social-care": "FOUND", "police": "NOT_FOUND"},
        check_details={
            "health": {"outcome": "UNAVAILABLE", "reason": "health records not loaded"},
            "social-care": {
                "outcome": "FOUND",
                "match": "EXACT",
                "reason": "NHS number matches",
                "person_id": "SC-1",
                "status": "CP_PLAN",
            },
        },
    )
    text = explain(decision)
    assert "Decision dec-000000" in text
    assert "child 1 in police referral REF-00000" in text
    assert "referred by the police" in text
    assert "s47 (child protection" in text and "level 4, child protection" in text
    # every rule with its reason, highest level first
    assert text.index("High-risk domestic abuse") < text.index("Domestic abuse in the household")
    assert "(rule l4.dash, level 4)" in text and "(rule l2.da, level 2)" in text
    assert "Evidence: marac referral yes; concerns 3A, 3C." in text
    # checks in words, the unavailable one with why and that it did not lower the route
    assert "Health: the check could not be made, and the route was not lowered" in text
    assert "(health records not loaded)" in text
    assert "Children's social care: a record was found, exact match: NHS number matches" in text
    assert "What the record says: status CP_PLAN." in text
    assert "Police: no record was found." in text
    assert "identity is uncertain" in text and "(match score 0.71)" in text
    assert "IDENTITY_UNCERTAIN: the child's identity is uncertain" in text
    assert "NEW_FLAG: new flag" in text
    assert "Deadline: 1 May 2026 at 18:00 (UK time)." in text
    assert "not yet confirmed or overridden" in text


def test_overrides_follow_the_proposal(make_decision: MakeDecision) -> None:
    decision = make_decision(1, route="assessment")
    confirm = make_decision(
        90,
        kind="override",
        action="CONFIRM",
        supersedes="dec-000001",
        route="assessment",
        decided_by="tm.smith",
        decided_at="2026-05-02T08:30:00Z",
        reason="Agree.",
    )
    override = make_decision(
        91,
        kind="override",
        action="OVERRIDE",
        supersedes="dec-000001",
        route="s47",
        decided_by="sw.jones",
        decided_at="2026-05-02T09:15:00Z",
        reason="School reports a disclosure this morning.",
    )
    text = explain(decision, [confirm, override])
    assert "tm.smith confirmed the route assessment" in text
    assert "2 May 2026 at 09:30 (UK time)" in text
    assert "sw.jones changed the route from assessment to s47" in text
    assert "Reason: School reports a disclosure this morning." in text
    assert "Route now: s47" in text
    assert "not yet confirmed" not in text


def test_an_override_is_shown_with_the_decision_it_superseded(make_decision: MakeDecision) -> None:
    decision = make_decision(1, route="caf")
    override = make_decision(
        91,
        kind="override",
        action="OVERRIDE",
        supersedes="dec-000001",
        route="assessment",
        decided_by="sw.jones",
        reason="Consent refused and concerns escalating.",
    )
    text = explain_override(override, decision)
    assert text.startswith("Staff decision dec-000091")
    assert "changed the route from caf to assessment" in text
    assert "Decision dec-000001" in text
    assert "Route now: assessment" in text
    assert "is not in the log" in explain_override(override, None)


def test_every_staff_step_is_told_in_time_order_with_what_awaited_approval(
    make_decision: MakeDecision,
) -> None:
    decision = make_decision(1, route="assessment")

    def step(n: int, action: str, at: str, **fields: Any) -> dict[str, Any]:
        return make_decision(
            n, kind="action", action=action, subject="dec-000001", decided_at=at, **fields
        )

    claim = step(90, "CLAIM", "2026-05-02T09:00:00Z", decided_by="sw.jones", route=None)
    asked = step(
        91,
        "OVERRIDE",
        "2026-05-02T09:10:00Z",
        decided_by="sw.jones",
        route="caf",
        reason="Family accept early help.",
        awaiting_approval="a step down from assessment to caf needs a team manager's approval",
    )
    moved = step(
        93,
        "TRANSFER",
        "2026-05-02T11:00:00Z",
        decided_by="sw.jones",
        route="caf",
        destination="EARLY_HELP_HUB",
    )
    approval = make_decision(
        92,
        kind="override",
        action="APPROVE",
        supersedes="dec-000001",
        route="caf",
        decided_by="tm.smith",
        decided_at="2026-05-02T10:00:00Z",
        reason="Agreed.",
    )
    text = explain(decision, [approval], [moved, claim, asked])
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("- 2 May")]
    assert [line.split(": ", 1)[1].split(" ", 2)[1] for line in lines] == [
        "took",
        "asked",
        "approved",
        "transferred",
    ]
    assert "awaiting approval (a step down from assessment to caf" in text
    assert "transferred the child to early help hub" in text
    assert "Route now: caf (early help" in text


def test_steps_without_a_decision_by_a_person_leave_the_proposal_standing(
    make_decision: MakeDecision,
) -> None:
    decision = make_decision(1, route="s47")
    claim = make_decision(
        90, kind="action", action="CLAIM", subject="dec-000001", decided_by="sw.jones", route=None
    )
    text = explain(decision, [], [claim])
    assert "sw.jones took it to work on" in text
    assert "Route now: the router's proposal, not yet decided by a person." in text
