"""A member of staff overrides a routed child on the board, in a real headless Chromium.

End to end: the real router decides a synthetic police notification; its decision is put on
the queue and decision topics of a real broker as the stream worker does; ``mash board`` runs
as its own process; Chromium (Debian's package, driven by Python playwright) signs in, finds
the child on its queue, tries an override without a reason (refused), overrides with one and
transfers the child to the child protection team; the audit sink then copies ``mash.overrides``
into a decision log, where the override must be.
Screenshots go to ``artifacts/`` (gitignored) for a person to look at.

Chromium: ``apt-get install chromium`` (never ``playwright install``). A missing browser skips
the test, unless ``MASH_REQUIRE_BROWSER=1`` (CI), where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mash.kafka import clients
from mash.topics import Topics

pytestmark = pytest.mark.broker

CHROMIUM = Path(os.environ.get("MASH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
STAFF, PASSWORD = "sw.e2e", "board test password"
REASON = "Sibling is subject to a child protection plan"


def _routed_decision() -> dict[str, Any]:
    """One child's decision from the real router (default rules, records checked, none found)."""
    from mash.agencies import to_referral
    from mash.domain.clocks import FixedClock
    from mash.domain.decision import decision_to_dict
    from mash.domain.records import RECORD_KINDS, RecordIndex
    from mash.domain.routing import Router
    from mash.rules import load_rules

    received = datetime.now(UTC)
    notice = {
        "ppn_id": "PPN-E2E-1",
        "force_code": "CLE",
        "incident_at": received.isoformat(),
        "incident_type": "DOMESTIC_ABUSE",
        "dash_risk": "MEDIUM",
        "children": [
            {
                "forenames": "Test",
                "surname": "Example",
                "dob": "2019-04-01",
                "present_at_incident": True,
                "injured": False,
            }
        ],
        "adults": [{"role": "VICTIM", "forenames": "Adult", "surname": "Example"}],
        "concern_codes": ["3C"],
        "non_fatal_strangulation": False,
        "weapon_used": False,
        "victim_pregnant": False,
        "marac_referral": False,
        "narrative": "Synthetic end-to-end test notification.",
    }
    index = RecordIndex()
    for kind in RECORD_KINDS:
        index.mark_available(kind)
    router = Router(load_rules(), index, clock=FixedClock(received))
    [decision] = router.decide(to_referral("police", notice, received))
    return decision_to_dict(decision)


def _publish(bootstrap: str, topics: Topics, decision: dict[str, Any]) -> None:
    """Where the stream worker puts a decision: its queue and the decisions topic (Avro)."""
    from mash.avro import encode_decision

    producer = clients.producer(bootstrap, acks="all")
    try:
        key, payload = decision["decision_id"].encode(), encode_decision(decision)
        producer.send(topics.queue(decision["route"]), key=key, value=payload)
        producer.send(topics.decisions, key=key, value=payload)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)


def _wait_until_caught_up(url: str, board: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if board.poll() is not None:
            raise AssertionError(f"mash board exited with {board.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if json.load(response)["caught_up"]:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("the board did not catch up with its topics in time")


def _logged_overrides(
    bootstrap: str, topics: Topics, tmp_path: Path, decision_id: str, timeout_s: float = 60
) -> list[dict[str, Any]]:
    """Run the audit sink (``mash sink``) into a fresh log until the override is there.

    The sink stops when idle; a first run can go idle before its consumer has been given
    its partitions, so it is run again (it resumes from the offsets the log holds).
    """
    from mash.audit.sink import Codec, Sink, SinkConfig
    from mash.audit.store import open_log

    log = open_log(f"sqlite:///{tmp_path / 'decisions.db'}")
    config = SinkConfig(bootstrap, topics, group=f"{topics.prefix}sink", until_idle_s=2.0)
    deadline = time.monotonic() + timeout_s
    while True:
        Sink(config, log, Codec.avro()).run()
        found = log.overrides_of(decision_id)
        if found or time.monotonic() > deadline:
            return found


@pytest.fixture
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("MASH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message} (MASH_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def board_url(kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> Iterator[str]:
    """``mash board`` in its own process on a free port, with one social worker."""
    from mash.broker.prereqs import free_port
    from mash.hub.users import user_store

    home = tmp_path / "home"
    user_store(home).add(STAFF, PASSWORD, "social-worker")
    port = free_port()
    env = {
        **os.environ,
        "MASH_HOME": str(home),
        "MASH_BOOTSTRAP": kafka_bootstrap,
        "MASH_TOPIC_PREFIX": topics.prefix,
    }
    mash = str(Path(sys.executable).with_name("mash"))
    log = (tmp_path / "board.log").open("wb")
    board = subprocess.Popen(
        [mash, "board", "--port", str(port), "--refresh", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_caught_up(url, board, timeout_s=60)
        yield url
    finally:
        board.terminate()
        try:
            board.wait(timeout=15)
        except subprocess.TimeoutExpired:
            board.kill()
            board.wait(timeout=5)
        log.close()


def test_a_social_worker_overrides_a_routed_child_and_the_log_has_it(
    chromium_path: Path, board_url: str, kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    decision = _routed_decision()
    assert decision["route"] == "assessment"
    _publish(kafka_bootstrap, topics, decision)
    short = decision["decision_id"][:8]
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{board_url}/queues")
            expect(page).to_have_url(f"{board_url}/login?next=/queues")

            # Keyboard first: the skip link is the first stop, every field has a label.
            page.keyboard.press("Tab")
            expect(page.locator(":focus")).to_have_text("Skip to main content")
            page.get_by_label("Username").fill(STAFF)
            page.get_by_label("Password").fill(PASSWORD)
            page.keyboard.press("Enter")
            expect(page).to_have_url(f"{board_url}/queues")

            # The routed child appears on its queue (the live refresh brings it in).
            row = page.locator("#queue-assessment ~ table tr", has_text=short)
            expect(row).to_be_visible(timeout=20_000)
            expect(row).to_contain_text("Green: On time")
            expect(row).to_contain_text(decision["rules"][0]["reason"])
            page.screenshot(path=str(ARTIFACTS / "board-queues.png"), full_page=True)

            page.get_by_role("link", name=f"Open item {short}").click()
            expect(page.get_by_role("heading", name="Why this route")).to_be_visible()
            expect(page.locator("body")).to_contain_text(decision["rules"][0]["id"])

            # An override without a reason is refused, with the reason field marked.
            page.get_by_label("New route").select_option("s47")
            page.get_by_role("button", name="Override route").click()
            expect(page.get_by_role("alert")).to_contain_text("Give the reason for the override")
            expect(page.get_by_label("Reason for the override")).to_have_attribute(
                "aria-invalid", "true"
            )

            page.get_by_label("New route").select_option("s47")
            page.get_by_label("Reason for the override").fill(REASON)
            page.get_by_label("Reason for the override").focus()
            page.keyboard.press("Tab")  # to the submit button, by keyboard
            expect(page.locator(":focus")).to_have_text("Override route")
            page.keyboard.press("Enter")
            expect(page.get_by_role("status")).to_contain_text("Route changed to s47")
            expect(page.locator("body")).to_contain_text(f"override by {STAFF}")
            expect(page.locator("body")).to_contain_text(REASON)
            page.screenshot(path=str(ARTIFACTS / "board-override.png"), full_page=True)

            # Decided, the child is handed on from the front door to the team of its route.
            page.get_by_label("Destination").select_option("CHILD_PROTECTION")
            page.get_by_role("button", name="Transfer", exact=True).click()
            expect(page.get_by_role("status")).to_contain_text(
                "Transferred to the child protection team"
            )
            expect(page.locator("body")).to_contain_text("Transferred to")
            page.screenshot(path=str(ARTIFACTS / "board-transfer.png"), full_page=True)
        finally:
            browser.close()

    overrides = _logged_overrides(kafka_bootstrap, topics, tmp_path, decision["decision_id"])
    [override] = overrides
    assert override["kind"] == "override"
    assert (override["route"], override["reason"], override["decided_by"]) == (
        "s47",
        REASON,
        STAFF,
    )
    assert (ARTIFACTS / "board-override.png").stat().st_size > 10_000
