"""The board's pages, forms and roles, through FastAPI's test client (no broker).

Events the board publishes go to an in-memory bus that feeds them back into the ledger, as the
board's topic reader does in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mash.domain.clocks import FixedClock
from mash.errors import BrokerError
from mash.hub.board import Board, create_app
from mash.hub.live import LiveLedger
from mash.hub.model import HubEvent, ItemState, work_item_from_dict
from mash.hub.queues import build_ledger
from mash.hub.sla import ELAPSED
from mash.hub.users import UserStore

MakeDecision = Callable[..., dict[str, Any]]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@dataclass
class Bus:
    """Where published events go: recorded here; the board applies them to its ledger itself."""

    live: LiveLedger
    published: list[HubEvent] = field(default_factory=list)
    down: bool = False

    def __call__(self, events: list[HubEvent]) -> None:
        if self.down:
            raise BrokerError("publishing to mash.overrides failed: KafkaTimeoutError")
        self.published.extend(events)


@dataclass
class Hub:
    client: TestClient
    bus: Bus
    live: LiveLedger
    clock: FixedClock
    ids: dict[str, str]


@pytest.fixture
def hub(tmp_path: Path, make_decision: MakeDecision) -> Hub:
    users = UserStore(tmp_path / "users.json")
    users.add("sw.ali", PASSWORD, "social-worker", ["s47", "assessment"])
    users.add("sw.bea", PASSWORD, "social-worker", ["caf"])
    users.add("tm.cho", PASSWORD, "team-manager")
    users.add("au.dev", PASSWORD, "auditor")
    decisions = {
        "late": make_decision(
            route="assessment",
            received_at=START - timedelta(hours=12),
            deadline=START + timedelta(hours=1),
            reason="Child present at DA",
        ),
        "fresh": make_decision(
            route="assessment",
            received_at=START,
            deadline=START + timedelta(hours=20),
            flags=("IDENTITY_UNCERTAIN",),
        ),
        "caf": make_decision(route="caf", received_at=START, deadline=START + timedelta(hours=20)),
    }
    live = LiveLedger(build_ledger([work_item_from_dict(d) for d in decisions.values()], []))
    live.caught_up.set()
    live.write(lambda ledger: ledger.add_decision(decisions["late"]))
    bus = Bus(live)
    clock = FixedClock(START + timedelta(minutes=30))
    counter = iter(range(1, 1000))
    app = create_app(
        Board(
            live=live,
            users=users,
            publish=bus,
            clock=clock,
            secret="test-secret",
            new_id=lambda: f"ev{next(counter)}",
            policy=ELAPSED,
        )
    )
    ids = {name: d["decision_id"] for name, d in decisions.items()}
    return Hub(TestClient(app), bus, live, clock, ids)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "every form carries a CSRF token"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf": _csrf(form.text),
            "next": "/queues",
        },
        follow_redirects=False,
    )


def test_every_page_needs_a_login(hub: Hub) -> None:
    for path in ("/queues", f"/items/{hub.ids['late']}"):
        response = hub.client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    post = hub.client.post(
        f"/items/{hub.ids['late']}/confirm", data={"csrf": "x"}, follow_redirects=False
    )
    assert post.status_code == 303 and hub.bus.published == []


def test_a_wrong_password_is_refused_without_saying_which_part(hub: Hub) -> None:
    for name, password in (("tm.cho", "wrong password!!"), ("nobody", PASSWORD)):
        response = login(hub.client, name, password)
        assert response.status_code == 401
        assert "username or password is not right" in response.text
    assert hub.client.get("/queues", follow_redirects=False).status_code == 303


def test_five_failed_sign_ins_lock_the_account_even_against_the_right_password(
    hub: Hub,
) -> None:
    for _ in range(4):
        assert login(hub.client, "tm.cho", "wrong password!!").status_code == 401
    fifth = login(hub.client, "tm.cho", "wrong password!!")
    assert fifth.status_code == 429 and "locked until" in fifth.text
    assert login(hub.client, "tm.cho").status_code == 429  # the right password, still locked
    assert login(hub.client, "sw.ali").status_code == 303  # other accounts are not affected
    hub.clock.advance(timedelta(minutes=16))
    assert login(hub.client, "tm.cho").status_code == 303


def test_login_sets_a_strict_http_only_cookie_and_is_not_an_open_redirect(hub: Hub) -> None:
    form = hub.client.get("/login")
    response = hub.client.post(
        "/login",
        data={
            "username": "tm.cho",
            "password": PASSWORD,
            "csrf": _csrf(form.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/queues"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_queues_show_age_deadline_and_rag_in_words(hub: Hub) -> None:
    login(hub.client, "tm.cho")
    page = hub.client.get("/queues").text
    assert "Amber: Due soon" in page  # 'late': 12.5 of 13 hours gone
    assert "Green: On time" in page
    assert "12h 30m" in page  # its age
    assert "Mon 02 Mar 10:00" in page  # its deadline, UK time
    assert "IDENTITY_UNCERTAIN" in page and "Child present at DA" in page
    assert page.index(hub.ids["late"][:8]) < page.index(hub.ids["fresh"][:8])  # most urgent
    assert "Against the statutory clock" in page  # managers see the SLA summary
    hub.clock.advance(timedelta(hours=1))
    assert "Red: Breached" in hub.client.get("/queues?fragment=1").text


def test_a_social_worker_sees_only_their_teams_queues(hub: Hub) -> None:
    login(hub.client, "sw.bea")
    page = hub.client.get("/queues").text
    assert hub.ids["caf"][:8] in page
    assert hub.ids["late"][:8] not in page
    assert "Against the statutory clock" not in page
    assert hub.client.get(f"/items/{hub.ids['late']}").status_code == 404


def test_the_item_page_explains_the_decision(hub: Hub) -> None:
    login(hub.client, "sw.ali")
    page = hub.client.get(f"/items/{hub.ids['late']}").text
    assert "DA_CHILD_PRESENT" in page and "Three incidents in a year" in page
    assert "social-care" in page and "unavailable" in page  # checks, in words
    assert "EXACT" in page and "0.98" in page  # identity match
    assert '<label for="reason">' in page and '<label for="route">' in page
    assert 'id="route"' in page and "Override route" in page


def test_override_without_a_reason_is_refused_with_a_message(hub: Hub) -> None:
    login(hub.client, "sw.ali")
    page = hub.client.get(f"/items/{hub.ids['late']}").text
    response = hub.client.post(
        f"/items/{hub.ids['late']}/override",
        data={"route": "s47", "reason": "   ", "csrf": _csrf(page)},
    )
    assert response.status_code == 400
    assert "Give the reason for the override" in response.text
    assert 'aria-invalid="true"' in response.text
    assert hub.bus.published == []


def test_override_with_a_reason_publishes_claim_then_override(hub: Hub) -> None:
    login(hub.client, "sw.ali")
    page = hub.client.get(f"/items/{hub.ids['late']}").text
    response = hub.client.post(
        f"/items/{hub.ids['late']}/override",
        data={"route": "s47", "reason": "Sibling subject to a CP plan", "csrf": _csrf(page)},
    )
    assert response.status_code == 200
    assert "Route changed to s47" in response.text
    claim, override = hub.bus.published
    assert (claim.action, override.action) == ("CLAIM", "OVERRIDE")
    assert (override.route, override.reason, override.actor) == (
        "s47",
        "Sibling subject to a CP plan",
        "sw.ali",
    )
    item = hub.live.read(lambda ledger: ledger.items[hub.ids["late"]])
    assert (item.state, item.route) == (ItemState.OVERRIDDEN, "s47")
    queues = hub.client.get("/queues").text
    open_part, hand_off_part = queues.split("Decided, to transfer or close")
    assert hub.ids["late"][:8] not in open_part.split('id="queue-s47"')[1]  # decided: not open
    assert hub.ids["late"][:8] in hand_off_part  # but still in the front door, to hand off


def test_confirm_and_someone_elses_claim(hub: Hub) -> None:
    login(hub.client, "sw.ali")
    page = hub.client.get(f"/items/{hub.ids['fresh']}").text
    hub.client.post(f"/items/{hub.ids['fresh']}/claim", data={"csrf": _csrf(page)})
    hub.client.cookies.clear()
    login(hub.client, "tm.cho")  # a manager may decide another's claimed item
    page = hub.client.get(f"/items/{hub.ids['fresh']}").text
    assert "claimed by sw.ali" in page
    response = hub.client.post(f"/items/{hub.ids['fresh']}/confirm", data={"csrf": _csrf(page)})
    assert "Route confirmed" in response.text
    assert [(e.action, e.actor) for e in hub.bus.published] == [
        ("CLAIM", "sw.ali"),
        ("CONFIRM", "tm.cho"),
    ]


def test_a_social_worker_cannot_decide_a_colleagues_claim(hub: Hub) -> None:
    login(hub.client, "tm.cho")
    page = hub.client.get(f"/items/{hub.ids['fresh']}").text
    hub.client.post(f"/items/{hub.ids['fresh']}/claim", data={"csrf": _csrf(page)})
    hub.client.cookies.clear()
    login(hub.client, "sw.ali")
    page = hub.client.get(f"/items/{hub.ids['fresh']}").text
    assert "Confirm route" not in page
    response = hub.client.post(f"/items/{hub.ids['fresh']}/confirm", data={"csrf": _csrf(page)})
    assert response.status_code == 403
    assert len(hub.bus.published) == 1


def test_an_auditor_reads_but_cannot_act(hub: Hub) -> None:
    login(hub.client, "au.dev")
    page = hub.client.get(f"/items/{hub.ids['late']}").text
    assert "DA_CHILD_PRESENT" in page
    assert "Override route" not in page and "Confirm route" not in page
    response = hub.client.post(f"/items/{hub.ids['late']}/confirm", data={"csrf": _csrf(page)})
    assert response.status_code == 403
    assert hub.bus.published == []


def test_forms_without_the_csrf_token_are_refused(hub: Hub) -> None:
    login(hub.client, "tm.cho")
    response = hub.client.post(f"/items/{hub.ids['late']}/confirm", data={"csrf": "forged"})
    assert response.status_code == 400
    assert hub.bus.published == []


def test_a_broker_failure_changes_nothing_and_says_so(hub: Hub) -> None:
    login(hub.client, "tm.cho")
    page = hub.client.get(f"/items/{hub.ids['late']}").text
    hub.bus.down = True
    response = hub.client.post(f"/items/{hub.ids['late']}/confirm", data={"csrf": _csrf(page)})
    assert response.status_code == 503 and "could not be recorded" in response.text
    assert hub.live.read(lambda ledger: ledger.items[hub.ids["late"]].is_open)


def test_pages_are_not_cached_and_refuse_framing(hub: Hub) -> None:
    login(hub.client, "tm.cho")
    response = hub.client.get("/queues")
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_metrics_for_prometheus(hub: Hub) -> None:
    hub.clock.advance(timedelta(hours=1))  # 'late' is now past its deadline
    body = hub.client.get("/metrics").text
    assert 'mash_queue_depth{route="assessment"} 2.0' in body
    assert 'mash_queue_depth{route="caf"} 1.0' in body
    assert 'mash_decisions_total{route="assessment"} 2.0' in body
    assert 'mash_sla_warnings_total{route="assessment"} 1.0' in body
    assert 'mash_sla_breaches_total{route="assessment"} 1.0' in body
    assert "mash_processing_latency_seconds_count 3.0" in body
    assert 'mash_processing_latency_seconds_bucket{le="0.05"} 3.0' in body


def _post(hub: Hub, decision_id: str, action: str, **data: str) -> Any:
    page = hub.client.get(f"/items/{decision_id}").text
    return hub.client.post(f"/items/{decision_id}/{action}", data={**data, "csrf": _csrf(page)})


def _switch(hub: Hub, username: str) -> None:
    hub.client.cookies.clear()
    login(hub.client, username)


def test_a_step_down_waits_for_a_manager_who_refuses_then_approves(hub: Hub) -> None:
    late = hub.ids["late"]
    login(hub.client, "sw.ali")
    _post(hub, late, "override", route="caf", reason="Family accept early help")
    page = hub.client.get(f"/items/{late}").text
    assert "Awaiting a team manager's approval" in page
    assert "step down from assessment to caf" in page
    assert "/approve" not in page  # the worker who asked cannot approve
    assert _post(hub, late, "approve").status_code == 403
    _switch(hub, "tm.cho")
    refused = _post(hub, late, "refuse", reason="  ")
    assert refused.status_code == 400 and "Give the reason for the refusal" in refused.text
    assert "Refused" in _post(hub, late, "refuse", reason="Second incident overnight").text
    item = hub.live.read(lambda ledger: ledger.items[late])
    assert (item.state, item.route, item.claimed_by) == (ItemState.CLAIMED, "assessment", "sw.ali")
    _switch(hub, "sw.ali")
    assert "Second incident overnight" in hub.client.get(f"/items/{late}").text
    _post(hub, late, "override", route="caf", reason="Strategy agreed early help")
    _switch(hub, "tm.cho")
    assert "Approved" in _post(hub, late, "approve").text
    item = hub.live.read(lambda ledger: ledger.items[late])
    assert (item.state, item.route, item.approved_by) == (ItemState.OVERRIDDEN, "caf", "tm.cho")
    actions = [(e.action.value, e.actor) for e in hub.bus.published]
    assert actions == [
        ("CLAIM", "sw.ali"),
        ("OVERRIDE", "sw.ali"),
        ("REFUSE", "tm.cho"),
        ("OVERRIDE", "sw.ali"),
        ("APPROVE", "tm.cho"),
    ]


def test_a_decided_child_is_transferred_to_a_team_that_takes_its_route(hub: Hub) -> None:
    fresh = hub.ids["fresh"]
    login(hub.client, "sw.ali")
    assert "/transfer" not in hub.client.get(f"/items/{fresh}").text  # not decided yet
    _post(hub, fresh, "confirm")
    page = hub.client.get(f"/items/{fresh}").text
    assert "Transfer to a team" in page and "early help hub" not in page
    wrong = _post(hub, fresh, "transfer", destination="EARLY_HELP_HUB")
    assert wrong.status_code == 400 and "takes caf children" in wrong.text
    unnamed = _post(hub, fresh, "transfer", destination="OTHER_LOCAL_AUTHORITY", detail=" ")
    assert unnamed.status_code == 400 and "Name the other local authority" in unnamed.text
    done = _post(hub, fresh, "transfer", destination="ASSESSMENT_TEAM")
    assert "Transferred to the assessment team" in done.text
    item = hub.live.read(lambda ledger: ledger.items[fresh])
    assert (item.state, item.destination) == (ItemState.TRANSFERRED, "ASSESSMENT_TEAM")
    assert hub.bus.published[-1].destination == "ASSESSMENT_TEAM"


def test_no_further_action_waits_for_a_manager_and_then_closes(hub: Hub) -> None:
    caf = hub.ids["caf"]
    login(hub.client, "tm.cho")
    _post(hub, caf, "confirm")
    missing = _post(hub, caf, "close", close_reason="", reason="x")
    assert missing.status_code == 400 and "reason code" in missing.text
    _post(hub, caf, "close", close_reason="NO_FURTHER_ACTION", reason="Needs met by school")
    item = hub.live.read(lambda ledger: ledger.items[caf])
    assert item.state is ItemState.AWAITING_APPROVAL
    users_page = hub.client.get(f"/items/{caf}").text
    assert "/approve" not in users_page  # tm.cho asked, so tm.cho cannot approve
    _switch(hub, "sw.bea")
    assert _post(hub, caf, "approve").status_code == 403  # a social worker may not
    assert hub.live.read(lambda ledger: ledger.items[caf]).state is ItemState.AWAITING_APPROVAL


def test_an_out_of_hours_s47_child_is_shown_as_with_the_edt_and_handed_back(
    tmp_path: Path, make_decision: MakeDecision
) -> None:
    users = UserStore(tmp_path / "edt-users.json")
    users.add("edt.kim", PASSWORD, "social-worker", ["s47"])
    night = datetime(2026, 3, 6, 18, 30, tzinfo=UTC)  # a Friday evening, after office hours
    decision = make_decision(route="s47", received_at=night, deadline=night + timedelta(hours=1))
    live = LiveLedger(build_ledger([work_item_from_dict(decision)], []))
    live.caught_up.set()
    bus = Bus(live)
    app = create_app(
        Board(
            live, users, bus, FixedClock(night + timedelta(minutes=5)), secret="s", policy=ELAPSED
        )
    )
    hub = Hub(TestClient(app), bus, live, FixedClock(night), {"night": decision["decision_id"]})
    login(hub.client, "edt.kim")
    assert "EDT: out of hours" in hub.client.get("/queues").text
    night_id = decision["decision_id"]
    assert (
        "dispatched at once to the emergency duty team" in hub.client.get(f"/items/{night_id}").text
    )
    _post(hub, night_id, "claim")
    empty = _post(hub, night_id, "release", reason=" ")
    assert empty.status_code == 400 and "Say what was done" in empty.text
    back = _post(hub, night_id, "release", reason="Visited; child safe with grandmother")
    assert "Handed back to the queue: edt.kim: Visited; child safe with grandmother" in back.text
    item = hub.live.read(lambda ledger: ledger.items[night_id])
    assert (item.state, item.claimed_by) == (ItemState.ROUTED, None)
    assert [e.action.value for e in bus.published] == ["CLAIM", "RELEASE"]


def test_managers_see_the_children_beyond_five_working_days(hub: Hub) -> None:
    login(hub.client, "tm.cho")
    page = hub.client.get("/queues").text
    assert 'Beyond five working days <span class="count">(0)</span>' in page
    hub.clock.advance(timedelta(days=8))  # Tuesday of the next week: past every item's fifth day
    page = hub.client.get("/queues").text
    assert 'Beyond five working days <span class="count">(3)</span>' in page
    beyond = page.split('id="beyond-title"')[1].split("</section>")[0]
    assert all(hub.ids[name][:8] in beyond for name in ("late", "fresh", "caf"))
    hub.client.cookies.clear()
    login(hub.client, "sw.ali")  # social workers see their queues, not the managers' figures
    assert "Beyond five working days" not in hub.client.get("/queues").text
