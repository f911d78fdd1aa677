"""The generated data: formats of DESIGN.md, realistic mixes, internally consistent facts."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from mash.generate import (
    DEFAULT_DAYS,
    DEFAULT_START,
    Item,
    generate,
    generate_all,
    generate_records,
)
from mash.generate.identifiers import is_test_nhs_number, is_valid_upn
from mash.generate.mix import COUNCIL_SERVICES, HEALTH_SETTINGS, target_source_shares
from mash.generate.reference import STOCKTON_DISTRICTS, spelling_variants
from mash.generate.synth import Synthesiser

START = DEFAULT_START
DAYS = DEFAULT_DAYS

POSTCODE = re.compile(r"^TS\d{1,2} \d[A-Z]{2}$")
POLICE_V1_KEYS = {
    "ppn_id",
    "force_code",
    "incident_at",
    "incident_type",
    "dash_risk",
    "children",
    "adults",
    "concern_codes",
    "non_fatal_strangulation",
    "weapon_used",
    "victim_pregnant",
    "marac_referral",
    "narrative",
}
POLICE_V2_KEYS = POLICE_V1_KEYS | {
    "dash_score",
    "reported_at",
    "crime_reference",
    "officer_id",
    "previous_incidents_12m",
    "child_voice",
}
POLICE_CHILD_KEYS = {
    "forenames",
    "surname",
    "dob",
    "nhs_number",
    "postcode",
    "present_at_incident",
    "injured",
}
HEALTH_KEYS = {
    "referralId",
    "odsCode",
    "setting",
    "patient",
    "concernCodes",
    "healthIndicators",
    "injury",
    "childIsMobile",
    "consent",
    "clinicalNarrative",
    "referredAt",
}
PATIENT_KEYS = {
    "nhsNumber",
    "givenName",
    "familyName",
    "birthDate",
    "postcode",
    "unborn",
    "expectedDeliveryDate",
}
COUNCIL_KEYS = {
    "request_ref",
    "service",
    "child",
    "concern_codes",
    "disclosure_by_child",
    "attendance_percent",
    "family_consent",
    "support_requested",
    "description",
    "requested_at",
    "school_urn",
}
COUNCIL_CHILD_KEYS = {"first_name", "last_name", "date_of_birth", "upn", "nhs_number", "postcode"}
RECORD_KEYS = {"person_id", "nhs_number", "forenames", "surname", "dob", "postcode", "updated_at"}
RECORD_EXTRA_KEYS = {
    "records.social-care": {"status", "referrals_12m", "last_s47_date"},
    "records.early-help": {"open_episode", "lead_professional"},
    "records.police": {"domestic_incidents_12m", "open_marac", "household_risk_to_children"},
    "records.health": {"cpis_flag", "ed_attendances_12m"},
}


def identities(item: Item) -> Iterator[tuple[int, str | None, str, str, str | None, str | None]]:
    """(true person, NHS number, forenames, surname, dob, postcode) of each child an item names."""
    value = item.value
    if item.subject == "police":
        for pid, child in zip(item.persons, value["children"], strict=True):
            yield (
                pid,
                child["nhs_number"],
                child["forenames"],
                child["surname"],
                child["dob"],
                child["postcode"],
            )
    elif item.subject == "health":
        p = value["patient"]
        yield (
            item.persons[0],
            p["nhsNumber"],
            p["givenName"],
            p["familyName"],
            p["birthDate"],
            p["postcode"],
        )
    elif item.subject == "council":
        c = value["child"]
        yield (
            item.persons[0],
            c["nhs_number"],
            c["first_name"],
            c["last_name"],
            c["date_of_birth"],
            c["postcode"],
        )
    else:
        yield (
            item.persons[0],
            value["nhs_number"],
            value["forenames"],
            value["surname"],
            value["dob"],
            value["postcode"],
        )


def referrals(items: list[Item]) -> list[Item]:
    return [i for i in items if i.subject in ("police", "health", "council")]


def parse_day(value: str) -> date:
    return date.fromisoformat(value)


def test_same_arguments_same_data_other_seed_other_data() -> None:
    first = list(generate_all(300, seed=4))
    assert first == list(generate_all(300, seed=4))
    assert first != list(generate_all(300, seed=5))
    assert list(generate(300, seed=4)) != list(generate(300, seed=4, start=date(2027, 1, 4)))


def test_generate_and_generate_records_split_one_data_set() -> None:
    everything = list(generate_all(200, seed=9))
    agencies = list(generate(200, seed=9))
    records = list(generate_records(200, seed=9))
    assert len(agencies) == 200
    assert agencies == [(s, v) for s, v in everything if s in ("police", "health", "council")]
    assert records == [
        (s.removeprefix("records."), v) for s, v in everything if s.startswith("records.")
    ]
    assert {kind for kind, _ in records} == {"social-care", "early-help", "police", "health"}


def test_referral_references_are_unique(items: list[Item], referral_count: int) -> None:
    key = {"police": "ppn_id", "health": "referralId", "council": "request_ref"}
    refs = [i.value[key[i.subject]] for i in referrals(items)]
    assert len(refs) == referral_count == len(set(refs))


def test_person_ids_are_unique_per_agency(by_subject: dict[str, list[Item]]) -> None:
    for subject in RECORD_EXTRA_KEYS:
        ids = [i.value["person_id"] for i in by_subject[subject]]
        assert len(ids) > 100
        assert len(ids) == len(set(ids)), subject
        assert len({i.persons[0] for i in by_subject[subject]}) == len(ids), subject


def test_every_nhs_number_is_a_valid_test_number_of_one_person(items: list[Item]) -> None:
    owners: dict[str, set[int]] = defaultdict(set)
    for item in items:
        for pid, nhs, *_ in identities(item):
            if nhs is not None:
                owners[nhs].add(pid)
    assert len(owners) > 5000
    assert all(is_test_nhs_number(n) for n in owners)
    assert all(len(pids) == 1 for pids in owners.values())


def test_fields_are_the_ones_design_md_names(by_subject: dict[str, list[Item]]) -> None:
    for item in by_subject["police"]:
        value = item.value
        assert set(value) == (POLICE_V2_KEYS if "dash_score" in value else POLICE_V1_KEYS)
        v2 = "dash_score" in value
        for child in value["children"]:
            assert set(child) == POLICE_CHILD_KEYS | ({"relationship_to_victim"} if v2 else set())
        for adult in value["adults"]:
            assert (
                {"role", "forenames", "surname"}
                <= set(adult)
                <= {"role", "forenames", "surname", "dob"}
            )
    for item in by_subject["health"]:
        assert set(item.value) == HEALTH_KEYS
        assert set(item.value["patient"]) == PATIENT_KEYS
    for item in by_subject["council"]:
        assert set(item.value) == COUNCIL_KEYS
        assert set(item.value["child"]) == COUNCIL_CHILD_KEYS
    for subject, extra in RECORD_EXTRA_KEYS.items():
        for item in by_subject[subject]:
            assert set(item.value) == RECORD_KEYS | extra, subject


def test_children_follow_the_published_source_mix(by_subject: dict[str, list[Item]]) -> None:
    children: Counter[str] = Counter()
    for item in by_subject["police"]:
        children["6"] += len(item.value["children"])
    for item in by_subject["health"]:
        children[HEALTH_SETTINGS[item.value["setting"]][0]] += 1
    for item in by_subject["council"]:
        children[COUNCIL_SERVICES[item.value["service"]][0]] += 1
    total = sum(children.values())
    observed = {code: count / total for code, count in children.items()}
    target = target_source_shares()
    assert observed["6"] == pytest.approx(target["6"], abs=0.025)
    assert observed["2A"] == pytest.approx(target["2A"], abs=0.025)
    health = sum(v for k, v in observed.items() if k.startswith("3"))
    assert health == pytest.approx(sum(v for k, v in target.items() if k.startswith("3")), abs=0.02)
    assert observed["6"] > observed["2A"] > health > observed.get("4", 0)


def test_about_a_fifth_of_referrals_are_re_referrals(by_subject: dict[str, list[Item]]) -> None:
    referred_before = {
        i.persons[0] for i in by_subject["records.social-care"] if i.value["referrals_12m"] >= 1
    }
    flags = [
        any(pid in referred_before for pid in i.persons)
        for subject in ("police", "health", "council")
        for i in by_subject[subject]
    ]
    rate = sum(flags) / len(flags)
    assert rate == pytest.approx(0.2, abs=0.03)
    statuses = Counter(
        i.value["status"]
        for i in by_subject["records.social-care"]
        if i.persons[0] in referred_before
    )
    assert {"OPEN_CIN", "CP_PLAN", "LOOKED_AFTER", "CLOSED"} <= set(statuses)


def test_domestic_abuse_notifications_list_the_siblings(by_subject: dict[str, list[Item]]) -> None:
    sizes = Counter(
        len(i.value["children"])
        for i in by_subject["police"]
        if i.value["incident_type"] == "DOMESTIC_ABUSE"
    )
    notifications = sum(sizes.values())
    with_siblings = sum(n for size, n in sizes.items() if size >= 2)
    assert with_siblings / notifications > 0.4
    assert sum(n for size, n in sizes.items() if size >= 3) > 0.1 * notifications


def test_agencies_spell_the_same_child_differently(items: list[Item]) -> None:
    seen: dict[int, list[tuple[str, str, str | None, str | None]]] = defaultdict(list)
    for item in items:
        for pid, _nhs, forenames, surname, dob, postcode in identities(item):
            seen[pid].append((forenames, surname, dob, postcode))
    variants = spelling_variants()
    seen_twice = [views for views in seen.values() if len(views) >= 2]
    assert len(seen_twice) > 1000

    def first(name: str) -> str:
        return name.split(" ")[0]

    differ = [v for v in seen_twice if len({first(f) for f, *_ in v} - {"Baby"}) > 1]
    assert 0.01 < len(differ) / len(seen_twice) < 0.3
    known_pairs = [
        v
        for v in differ
        if any(first(b) in variants.get(first(a), ()) for a, *_ in v for b, *_ in v)
    ]
    assert known_pairs, "no Mohammed/Muhammad-style variant across agencies"
    assert any(
        "-" in s1 and s2 in s1.split("-") for v in seen_twice for _, s1, *_ in v for _, s2, *_ in v
    ), "no hyphenated surname recorded as one part"
    assert any(len({p for *_, p in v if p}) > 1 for v in seen_twice), "no postcode moves"
    assert any(len({d for _, _, d, _ in v if d}) > 1 for v in seen_twice), "no dob slips"


def test_who_holds_nhs_numbers(by_subject: dict[str, list[Item]]) -> None:
    def share(subject: str, get: Any) -> float:
        values = [get(i.value) for i in by_subject[subject]]
        return sum(v is not None for v in values) / len(values)

    born = [i for i in by_subject["health"] if not i.value["patient"]["unborn"]]
    health = sum(i.value["patient"]["nhsNumber"] is not None for i in born) / len(born)
    assert health > 0.9
    assert share("council", lambda v: v["child"]["nhs_number"]) < 0.25
    assert share("records.health", lambda v: v["nhs_number"]) > 0.95


def test_postcodes_are_teesside_and_sometimes_missing_or_mistyped(items: list[Item]) -> None:
    postcodes = [p for item in items for *_, p in identities(item)]
    present = [p for p in postcodes if p is not None]
    well_formed = [p for p in present if POSTCODE.match(p)]
    slipped = [p for p in present if not POSTCODE.match(p)]
    assert all(POSTCODE.match(p.upper()) or POSTCODE.match(p[:-3] + " " + p[-3:]) for p in slipped)
    assert 0 < len(slipped) < 0.02 * len(present)
    stockton = sum(p.split(" ")[0] in STOCKTON_DISTRICTS for p in well_formed) / len(well_formed)
    assert stockton > 0.75
    assert 0 < len(postcodes) - len(present) < 0.1 * len(postcodes)


def test_some_adults_have_no_date_of_birth(by_subject: dict[str, list[Item]]) -> None:
    adults = [a for i in by_subject["police"] for a in i.value["adults"]]
    missing = sum("dob" not in a for a in adults)
    assert 0 < missing < 0.2 * len(adults)


def test_health_facts_fit_the_child(by_subject: dict[str, list[Item]]) -> None:
    latest = START + timedelta(days=DAYS)
    slack = timedelta(days=400)  # a recorded dob may be a slipped one
    unborn_settings = set()
    for item in by_subject["health"]:
        value = item.value
        patient = value["patient"]
        if patient["unborn"]:
            unborn_settings.add(value["setting"])
            assert patient["birthDate"] is None and patient["nhsNumber"] is None
            assert patient["givenName"] == "Baby"
            assert parse_day(patient["expectedDeliveryDate"]) > START.date()
            continue
        assert patient["expectedDeliveryDate"] is None
        born = datetime.fromisoformat(patient["birthDate"])
        indicators = set(value["healthIndicators"])
        if "MISSED_IMMUNISATIONS" in indicators:
            assert born > START - timedelta(days=5 * 366) - slack
        if "PREGNANT" in indicators:
            assert born < latest - timedelta(days=12 * 365) + slack
        if value["childIsMobile"] is not None:
            assert born > START - timedelta(days=2 * 366) - slack
        injury = value["injury"]
        if injury is not None:
            assert injury["present"] is True
            assert injury["kind"] in {"BRUISE", "BURN", "FRACTURE", "HEAD_INJURY", "BITE", "OTHER"}
    assert unborn_settings == {"MIDWIFERY"}


def test_dash_scores_agree_with_the_grading(by_subject: dict[str, list[Item]]) -> None:
    versions = Counter("dash_score" in i.value for i in by_subject["police"])
    assert versions[True] > 100 and versions[False] > 100
    for item in by_subject["police"]:
        value = item.value
        if "dash_score" not in value:
            continue
        score, risk = value["dash_score"], value["dash_risk"]
        if risk == "NOT_ASSESSED":
            assert score is None
            continue
        assert 0 <= score <= 27
        if risk == "STANDARD":
            assert score <= 9
        elif risk == "MEDIUM":
            assert 10 <= score <= 13
        else:
            assert score >= 8
        if value["incident_type"] != "DOMESTIC_ABUSE":
            pytest.fail("a DASH grading on a notification that is not domestic abuse")


def test_council_attendance_and_upns(by_subject: dict[str, list[Item]]) -> None:
    with_attendance = 0
    for item in by_subject["council"]:
        value = item.value
        upn = value["child"]["upn"]
        assert upn is None or is_valid_upn(upn)
        if value["attendance_percent"] is not None:
            with_attendance += 1
            assert 0 <= value["attendance_percent"] <= 100
        assert (value["school_urn"] is not None) == (value["service"] == "SCHOOL")
    assert with_attendance > 500


def test_records_agree_with_each_other(by_subject: dict[str, list[Item]]) -> None:
    for subject in RECORD_EXTRA_KEYS:
        for item in by_subject[subject]:
            updated = datetime.fromisoformat(item.value["updated_at"].removesuffix("Z"))
            assert updated < START
            assert parse_day(item.value["dob"]) - timedelta(days=400) < updated.date()
    cp_plan = {
        i.persons[0] for i in by_subject["records.social-care"] if i.value["status"] == "CP_PLAN"
    }
    flags = [i.value["cpis_flag"] for i in by_subject["records.health"] if i.persons[0] in cp_plan]
    assert len(flags) > 20
    assert flags.count("CP_PLAN") / len(flags) > 0.85
    for item in by_subject["records.social-care"]:
        s47 = item.value["last_s47_date"]
        if s47 is not None:
            assert parse_day(item.value["dob"]) - timedelta(days=400) < parse_day(s47)
        if item.value["status"] == "CP_PLAN":
            assert s47 is not None


def test_large_data_sets_spread_the_test_range_evenly() -> None:
    small = Synthesiser(1)
    next(small.items(1000))
    assert small.counters.nhs_share == 1.0
    large = Synthesiser(1)
    stream = large.items(1_000_000)
    first_items = [next(stream) for _ in range(3000)]
    share = large.counters.nhs_share
    assert 0.2 < share < 0.5
    numbers = [nhs for item in first_items for _, nhs, *_ in identities(item)]
    records = [i for i in first_items if i.subject == "records.health"]
    with_nhs = sum(i.value["nhs_number"] is not None for i in records) / len(records)
    assert with_nhs == pytest.approx(share, abs=0.06)
    assert all(n is None or is_test_nhs_number(n) for n in numbers)
