"""Narrative concern flags: raise-only, negation and hedges read the way the hub needs, no text in
the result, bounded time on any input, and the labelled set's precision and recall."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mash.domain import narrative
from mash.domain.narrative import (
    FLAG_PREFIX,
    NO_CONCERNS,
    LabelledNarrative,
    NarrativePolicy,
    concerns,
    evaluate,
    labelled_from_mapping,
    policy_from_mapping,
    raise_level,
    scan,
)
from mash.errors import RuleError

ROOT = Path(__file__).resolve().parents[3]
RULES_FILE = ROOT / "mash" / "rules" / "default.yaml"  # the lexicon is its narrative section
LABELLED = ROOT / "tests" / "data" / "narratives" / "labelled.jsonl"

# Categories where the labelled set honestly says the default floors (recall 0.9, precision
# 0.8) are not met, with the floor measured and why. Each miss needs meaning the words do not
# carry; fitting a cue to the one sentence would only flatter the figure.
FLOORS: dict[str, tuple[float, float]] = {
    # N087 (a parent believes his son was replaced by an impostor, but "is not his real son"
    # comes first and a belief's words never pass a negation), N266, N322, N325 and N335 (the
    # belief about the child is child_in_delusion's span; nothing else in the text names the
    # illness); N088 (a resolved psychosis still flags: raise-only).
    "delusion": (0.7, 0.8),
    # N182 ("given a new phone and vapes") and N283 ("he buys her vapes"): gifts without the
    # giver's age.
    "exploitation": (0.8, 0.8),
    # The child's account is read when the harm follows the telling within six words, or
    # within six words of a person or a conjunction that follows it within six: N298 and N299
    # put the harm twelve and fifteen words on, N154 describes the harm by a position ("holding
    # her by the neck"), N012 names the teller in the clause before and the harm-doer is a
    # boyfriend (an adult's telling reads the same); N438 puts the touching eight words after
    # the uncle who does it.
    "disclosure": (0.75, 0.8),
    # N445-N447: a child hiding (under the bed, in the wardrobe, upstairs). A hiding cue was
    # tried and taken out: in a domestic abuse referral hiding during a row is the child's
    # ordinary fear, which the guidance corpus (DA Act 2021 s3, Hampshire level 2) keeps at
    # early help, and the cue raised such a child to assessment.
    "child_fearful": (0.75, 0.8),
    # N048 ("her partner is 19": "partner" is read only as a child's, since a carer's partner's
    # age is everyday text in domestic abuse referrals), N280 and N319 ("the father (of the
    # baby) is 25"), N284 (the age in a clause after "an older man", which exploitation reads).
    "older_partner": (0.65, 0.8),
}


@pytest.fixture(scope="module")
def policy() -> NarrativePolicy:
    return policy_from_mapping(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["narrative"])


def found(text: str | None, policy: NarrativePolicy) -> set[str]:
    return set(concerns(text, policy))


def labelled() -> list[LabelledNarrative]:
    lines = LABELLED.read_text(encoding="utf-8").splitlines()
    return [labelled_from_mapping(json.loads(line), number) for number, line in enumerate(lines, 1)]


# --------------------------------------------------------------------------- the labelled set


def test_labelled_set_meets_the_floors(policy: NarrativePolicy) -> None:
    scores = evaluate(labelled(), policy)
    failures = []
    for name, score in scores.items():
        if score.support < 5:
            continue
        min_recall, min_precision = FLOORS.get(name, (0.9, 0.8))
        recall, precision = score.recall or 0.0, score.precision or 0.0
        if recall < min_recall or precision < min_precision:
            failures.append(
                f"{name}: recall {recall:.2f} (missed {score.false_negative_ids}), "
                f"precision {precision:.2f} (wrongly {score.false_positive_ids})"
            )
    assert not failures, "\n".join(failures)


def test_the_floors_are_only_lowered_where_the_data_needs_it(policy: NarrativePolicy) -> None:
    scores = evaluate(labelled(), policy)
    for name, (min_recall, _) in FLOORS.items():
        assert (scores[name].recall or 0.0) < 0.9, f"{name} meets 0.9 now: drop its floor"
        assert min_recall < 0.9


def test_labelled_set_is_what_the_issue_asks_for(policy: NarrativePolicy) -> None:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 120
    assert len({row["id"] for row in rows}) == len(rows)
    assert all(row["source"].strip() for row in rows)
    names = {category.name for category in policy.categories}
    assert all(set(row["categories"]) <= names for row in rows)
    words = (" no ", " not ", "n't ", " never ", " denie", " without ", " nil", " none")
    hedges = ("alleg", "possibl", "query", "unclear", "not known", "rule out", "thought to")
    hedged_or_negated = [
        row for row in rows if any(w in f" {row['text'].lower()} " for w in words + hedges)
    ]
    assert len(hedged_or_negated) * 3 >= len(rows)
    assert sum(1 for row in rows if not row["categories"]) >= 30  # negated and hard negatives


def test_evaluate_counts_and_names_ids(policy: NarrativePolicy) -> None:
    items = [
        LabelledNarrative("a", "He held a knife to her.", frozenset({"weapon"})),
        LabelledNarrative("b", "Knife and fork at nursery.", frozenset({"weapon"})),
        LabelledNarrative("c", "She has a black eye.", frozenset()),
    ]
    scores = evaluate(items, policy)
    assert (scores["weapon"].true_positives, scores["weapon"].false_negative_ids) == (1, ("b",))
    assert scores["weapon"].recall == 0.5 and scores["weapon"].precision == 1.0
    assert scores["injury"].false_positive_ids == ("c",)
    assert scores["suicide"].precision is None and scores["suicide"].recall is None


def test_evaluate_refuses_an_unknown_category_naming_the_item(policy: NarrativePolicy) -> None:
    with pytest.raises(RuleError, match="labelled narrative x7: unknown categories"):
        evaluate([LabelledNarrative("x7", "secret text", frozenset({"nope"}))], policy)


def test_a_bad_labelled_line_is_named_by_number_not_text() -> None:
    with pytest.raises(RuleError, match="labelled narrative 3 \\(q\\): categories") as caught:
        labelled_from_mapping({"id": "q", "text": "private words", "categories": "x"}, 3)
    assert "private words" not in str(caught.value)


# --------------------------------------------------------------------------- negation scope


@pytest.mark.parametrize(
    "text",
    [
        "No injuries.",
        "Mother reports no self-harm.",
        "The child was not left alone.",
        "There were no weapons and no threats to kill.",
        "Head injury ruled out by the paediatrician.",
        "A knife was not used.",
        "Injuries: none seen.",
        "Self-harm: no.",
        "Strangle/choke/suffocate/drown? No.",
        "No evidence of strangulation.",
        "She has never self-harmed.",
        "Without any injuries.",
        "Nil bruising.",
    ],
)
def test_negated_cues_raise_nothing(text: str, policy: NarrativePolicy) -> None:
    assert found(text, policy) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a new clause ends the scope: sentence, "but", a comma before a new subject, a dash
        ("No weapon was found but she says he held a knife.", {"weapon"}),
        ("No injuries. He grabbed her by the throat.", {"strangulation"}),
        ("No injuries, she says he grabbed her by the throat.", {"strangulation"}),
        (
            "No injuries \u2013 child says dad put his hands round her throat.",
            {"strangulation", "disclosure"},
        ),
        ("He was not at home and the children were left alone.", {"left_alone"}),
        # a list after a negation stays negated
        ("No bruising, cuts or marks seen.", set()),
        # past the window (five words) a cue is no longer negated
        ("Victim did not want to make a statement about the strangulation.", {"strangulation"}),
        # a cue written with its negation word is the cue, not a negation
        ("No adult present, the children were alone in the flat.", {"left_alone"}),
        ("She could not breathe.", {"strangulation"}),
    ],
)
def test_negation_scope_ends_with_the_clause(
    text: str, expected: set[str], policy: NarrativePolicy
) -> None:
    assert found(text, policy) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Strangle/choke/suffocate/drown? No.", set()),
        ("Any injuries? None.", set()),
        ("Weapons? Yes a knife Strangulation? No", {"weapon"}),  # back to the last ? only
        # a closing "no" without a question answers only its window
        ("Victim says he strangled her and is scared, offered refuge said no", {"strangulation"}),
    ],
)
def test_a_form_answer_answers_its_question(
    text: str, expected: set[str], policy: NarrativePolicy
) -> None:
    assert found(text, policy) == expected


def test_post_negation_only_reaches_its_own_clause(policy: NarrativePolicy) -> None:
    assert found("He strangled her. Head injury ruled out.", policy) == {"strangulation"}


# --------------------------------------------------------------------------- hedges and denials


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Alleged non-fatal strangulation.", "strangulation"),
        ("Possible overdose, unclear how many tablets.", "suicide"),
        ("Query bruise on the baby's ear.", "injury"),
        ("Non-accidental injury not ruled out.", "injury"),
        ("Cannot rule out that the injuries were caused by a sibling.", "injury"),
        ("Not known if the father has access to weapons.", "weapon"),
        ("No clear evidence of strangulation.", "strangulation"),
        ("Thought to have been left home alone.", "left_alone"),
    ],
)
def test_hedges_are_still_concerns(text: str, category: str, policy: NarrativePolicy) -> None:
    result = scan(text, policy)
    assert category in result.categories
    assert next(c for c in result.concerns if c.category == category).hedged


def test_an_unhedged_cue_says_so(policy: NarrativePolicy) -> None:
    (concern,) = scan("He strangled her.", policy).concerns
    assert not concern.hedged


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He denies strangling her.", {"strangulation"}),
        ("Strangulation denied by the suspect.", {"strangulation"}),
        ("Suspect denies any threats to kill.", {"threat_to_kill"}),
        ("YP denies suicidal thoughts.", set()),
        ("Suicidal ideation denied.", set()),
        ("She denies any self-harm.", set()),
    ],
)
def test_denials_negate_only_self_reported_states(
    text: str, expected: set[str], policy: NarrativePolicy
) -> None:
    assert found(text, policy) == expected


# --------------------------------------------------------------------------- hard negatives


@pytest.mark.parametrize(
    "text",
    [
        "History of choking on food as a toddler.",
        "The boys were killing time in the park.",
        "Reset the kill switch on the treadmill.",
        "Learning to use a knife and fork at nursery.",
        "Dog grooming apprenticeship going well.",
        "Routine sexual health clinic review, no concerns.",
        "Pupil brought a toy gun into school.",
        "Mum was visibly shaken but no one was hurt.",
        "Young person asked to be left alone in her room.",
        "Baby had drunk most of her bottle and settled well.",
        "Suicide prevention training delivered to staff.",
        "Found in possession of cannabis.",
        "He was possessed by anger and punched the wall.",
        "Painkillers prescribed for a sore throat.",
        "Knife crime awareness assembly for Year 9.",
        # a gap never passes a negation word
        "The child is not evil, she is just unwell.",
        "He said he would never kill her.",
    ],
)
def test_innocuous_uses_of_cue_words_raise_nothing(text: str, policy: NarrativePolicy) -> None:
    assert found(text, policy) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the named offender is risk_adult, not also sexual_harm; a child harmed is still both
        ("Mum's partner is a registered sex offender.", {"risk_adult"}),
        ("He has convictions for sexual offences against a child.", {"risk_adult"}),
        (
            "Investigated for sexual abuse of a child; he visits daily.",
            {"risk_adult", "sexual_harm"},
        ),
        # a pattern of injury is patterned_injury, not also injury
        ("Fingertip bruising to the upper arms.", {"patterned_injury"}),
        ("Hand-shaped mark on his cheek.", {"patterned_injury"}),
        ("Bruising to the shins.", {"injury"}),
        ("Bitten by the family dog.", {"injury"}),
        # marks on the neck stay strangulation
        ("Grip marks on her neck.", {"strangulation"}),
        # an overdose stays suicide whatever the drug
        ("Overdosed on ketamine at a party.", {"suicide"}),
        # criminal grooming is exploitation; "groomed" alone stays sexual_harm
        ("Being groomed by a gang to sell drugs.", {"exploitation"}),
        ("Concerns she is being groomed online.", {"sexual_harm"}),
        # grooming by an extremist or a recruiter is extremism
        ("She is being groomed online by an extremist.", {"extremism"}),
        ("In contact with an adult recruiter for a far-right group.", {"extremism"}),
        # the order at the same letters leaves out a closing !(...): the longer phrase is read
        ("He has a sexual harm prevention order.", {"risk_adult"}),
        ("Concerns of sexual harm to the children.", {"sexual_harm"}),
        # an adult-sized bite or an immersion scald is one span
        ("Immersion scald to both feet.", {"patterned_injury"}),
    ],
)
def test_the_specific_category_takes_the_span(
    text: str, expected: set[str], policy: NarrativePolicy
) -> None:
    assert found(text, policy) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pupil told her teacher that daddy hits her.", {"disclosure"}),
        (
            "12 year old told staff her uncle touches her private parts.",
            {"disclosure", "sexual_harm"},
        ),
        ("Pupil said dad did not hit her.", set()),
        ("Pupil told her teacher she was happy at home.", set()),
        ("Pupil said she hurts herself when she is sad.", {"self_harm"}),
        # an adult's account is not a child's disclosure
        ("Mother disclosed that her partner hit her.", set()),
        ("Mum told the teacher that dad hits her.", set()),
    ],
)
def test_a_disclosure_is_the_childs_own_account(
    text: str, expected: set[str], policy: NarrativePolicy
) -> None:
    assert found(text, policy) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Checks: not known to MAPPA.",
        "No evidence of exploitation.",
        "The family have never been evicted.",
        "Insulin given at every meal, never missed.",
        "YP was kicked out of the lesson for swearing.",
        "Year 8 watched a news story about a sex offender.",
        "Mum had the immersion heater fixed.",
        "Father has not been seen since the injunction.",
        "Child seen alone at school today.",
        "Parents declined the flu vaccine; child well.",
        "Tried cannabis once, has not used since.",
        "The baby is about to be discharged home.",
        "Exploitation awareness assembly for Year 9.",
    ],
)
def test_innocuous_or_negated_uses_of_the_new_cues_raise_nothing(
    text: str, policy: NarrativePolicy
) -> None:
    assert found(text, policy) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a child's partner with an adult age: the rules weigh it with the child's age
        ("The 14 year old says her boyfriend is 24.", {"older_partner"}),
        ("Staying overnight with her boyfriend, aged 19, at his flat.", {"older_partner"}),
        ("Her boyfriend, 21, was arrested.", {"older_partner"}),
        ("Found in a car with a 22-year-old man.", {"older_partner"}),
        ("Seeing a man in his twenties she met online.", {"older_partner"}),
        # the partner's age does not take the span of what they did
        ("In a sexual relationship with a 25 year old man.", {"sexual_harm", "older_partner"}),
        ("She had sex with a 22-year-old man.", {"sexual_harm"}),
        ("Her boyfriend is seven years older than her.", {"older_partner"}),
        ("Her boyfriend is 16 and in her class.", set()),
        ("She has been with her boyfriend for 18 months.", set()),
        ("Mum's boyfriend, who is 26, moved in.", set()),
        ("Her boyfriend is not 18 yet.", set()),
        # pregnancy, whoever's it is
        ("Victim is 20 weeks pregnant.", {"pregnancy"}),
        ("Mum is expecting a baby in the spring.", {"pregnancy"}),
        ("The baby is due in March.", {"pregnancy"}),
        ("She is due in court in March.", set()),
        ("Pregnancy test negative.", set()),
        ("She is not pregnant.", set()),
        ("Teenage pregnancy prevention session for Year 10.", set()),
        ("Mum is expecting a visit from housing.", set()),
        # radicalisation with violence or a recruiter; views alone are the concern code
        ("He plans to attack the mosque near his school.", {"extremism"}),
        ("Wants to travel to Syria to join IS.", {"extremism"}),
        ("Part of an online group planning a school shooting.", {"extremism"}),
        ("Father has been radicalising his children.", {"extremism"}),
        ("Sharing extremist memes online.", set()),
        ("He wants to join the army.", set()),
        ("Dad travelled to Syria to visit relatives.", set()),
        ("Prevent assembly about online radicalisation and extremism.", set()),
        # a carer's delusion about the child without a word of belief
        ("Mother accuses the 7 year old of being a spy.", {"child_in_delusion"}),
        ("Dad hears voices telling him to hurt the baby.", {"delusion", "child_in_delusion"}),
        ("Father calls the baby the devil.", {"child_in_delusion"}),
        ("His daughter has been replaced by a robot.", {"child_in_delusion"}),
        ("Mum jokes that her toddler is a little devil.", set()),
        ("The children were swapped between classes.", set()),
        # patterned and multiple injuries
        ("Multiple bruises to the torso.", {"patterned_injury"}),
        ("Multiple bruises to the neck.", {"strangulation"}),  # the location category
        ("Bruises of similar shape and size on both buttocks.", {"patterned_injury"}),
        ("Thought too large to have been made by a child.", {"patterned_injury"}),
        ("The arch width of the bite mark is an adult's.", {"patterned_injury"}),
        ("Cigarette-sized marks on his hand.", {"patterned_injury"}),
        ("Mum says he bruises easily.", set()),
        # medical neglect
        ("Herbal remedies in place of her insulin.", {"medical_neglect"}),
        ("Mother has stopped her son's chemotherapy.", {"medical_neglect"}),
        ("Parents will not consent to the surgery the baby needs.", {"medical_neglect"}),
        ("The inhalers are not being used at home.", {"medical_neglect"}),
        ("Mother has stopped taking her insulin.", set()),
        ("Parents did not consent to the referral.", set()),
        # a person posing a risk, named without the register words
        ("Convicted in 2015 of assaulting a 12 year old.", {"risk_adult"}),
        ("Jailed for child cruelty.", {"risk_adult"}),
        ("Convicted of downloading child abuse images.", {"risk_adult"}),
        ("He has no convictions for offences against children.", set()),
        # a child's account whose harm comes further on, through a person or a conjunction
        ("The 9 year old said that when mum was out her stepdad punched her.", {"disclosure"}),
        ("The 11 year old was upset in class and said her dad had kicked her.", {"disclosure"}),
        ("Pupil said she fell over in the playground and hurt her knee.", set()),
        # "has not seen a GP" is no post-negation of what came before
        ("Mum says she might be pregnant again and has not seen a GP.", {"pregnancy"}),
        ("Injuries not seen.", set()),
    ],
)
def test_the_weak_phrasings_of_the_second_round(
    text: str, expected: set[str], policy: NarrativePolicy
) -> None:
    assert found(text, policy) == expected


def test_a_number_and_a_comma_in_a_cue() -> None:
    data = minimal()
    data["categories"]["weapon"]["cues"] = [
        "boyfriend ~2 (is|aged) 18+ !(months)",
        "boyfriend , 18+ ,",
        "(5+|five) years older",
    ]
    policy = policy_from_mapping(data)
    assert found("her boyfriend is 24", policy) == {"weapon"}
    assert found("her boyfriend, 19, was there", policy) == {"weapon"}
    assert found("he is 7 years older", policy) == found("five years older", policy) == {"weapon"}
    for text in (
        "her boyfriend is 17",
        "her boyfriend is 180",
        "her boyfriend is 2018",
        "her boyfriend aged 18 months",
        "her boyfriend 19 was there",
        "her boyfriend, 19 was there",
        "4 years older",
    ):
        assert found(text, policy) == set(), text


def test_a_specific_categorys_hint_is_never_below_the_generic_ones(policy: NarrativePolicy) -> None:
    # (specific, generic) pairs whose spans the specific category takes (the lexicon header)
    pairs = [
        ("strangulation", "injury"),
        ("head_injury", "injury"),
        ("self_harm", "injury"),
        ("patterned_injury", "injury"),
        ("risk_adult", "sexual_harm"),
        ("exploitation", "sexual_harm"),
        ("substance_heavy", "intoxication"),
        ("child_in_delusion", "delusion"),
        ("disclosure", "child_fearful"),
        ("extremism", "sexual_harm"),
        ("extremism", "exploitation"),
        ("extremism", "threat_to_kill"),
    ]
    for specific, generic in pairs:
        assert policy.category(specific).level_hint >= policy.category(generic).level_hint


def test_a_threat_to_kill_oneself_is_suicide_not_a_threat(policy: NarrativePolicy) -> None:
    assert found("Suspect threatened to kill himself.", policy) == {"suicide"}
    assert found("Suspect threatened to kill her and the children.", policy) == {"threat_to_kill"}


def test_the_most_specific_category_reads_the_span(policy: NarrativePolicy) -> None:
    assert found("Red marks to her neck.", policy) == {"strangulation"}
    assert found("Red marks to his back.", policy) == {"injury"}
    assert found("Cuts to her forearms.", policy) == {"self_harm"}


# --------------------------------------------------------------------------- odd input


@pytest.mark.parametrize("text", [None, "", "   ", "\n\n", ".;!?", "\u2013"])
def test_empty_text_raises_nothing(text: str | None, policy: NarrativePolicy) -> None:
    assert scan(text, policy) is NO_CONCERNS
    assert NO_CONCERNS.level_hint == 0 and NO_CONCERNS.flags == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Daddy squeezed mummy\u2019s neck.", {"strangulation"}),  # curly apostrophe
        ("STRANGLED HER IN FRONT OF THE BABY", {"strangulation"}),
        ("Caf\u00e9: father drunk, toddler outside on her own.", {"intoxication", "left_alone"}),
        ("\u0130stanbul trip \U0001f600 then he held a knife \u2603.", {"weapon"}),
        ("\u201cI\u2019ll kill you\u201d he shouted.", {"threat_to_kill"}),
        ("\u00a0knife\u00a0", {"weapon"}),
    ],
)
def test_non_ascii_text(text: str, expected: set[str], policy: NarrativePolicy) -> None:
    assert found(text, policy) == expected


def process_seconds(text: str, policy: NarrativePolicy) -> float:
    start = time.process_time()
    scan(text, policy)
    return time.process_time() - start


@pytest.mark.parametrize(
    "unit",
    [
        "a",
        "no ",
        "knife ruled out ",
        "threatened that he would would would would would ",
        "self-",
        "self - ",
        "Victim states he put his hands around her neck; no injuries, alleged knife. ",
        "caf\u00e9 \u2019 \u2013 \u2603 \u0130stanbul strangulation ",
    ],
)
def test_a_megabyte_scans_in_bounded_time(unit: str, policy: NarrativePolicy) -> None:
    # Linear by construction (possessive quantifiers, bounded gaps, one pass per clause): a
    # megabyte takes 0.01-0.4 s of CPU on the development machine; the bound leaves room for
    # a loaded CI core.
    text = unit * (1_000_000 // len(unit))
    assert process_seconds(text, policy) < 5.0


def test_time_grows_linearly_with_many_clauses(policy: NarrativePolicy) -> None:
    # Four times the text, about four times the time (a quadratic scan would take sixteen).
    unit = "He held a knife. No injuries. Alleged strangulation; nil else. "
    small, large = unit * 2_000, unit * 8_000
    ratio = min(process_seconds(large, policy) for _ in range(2)) / max(
        min(process_seconds(small, policy) for _ in range(2)), 1e-6
    )
    assert ratio < 8


# --------------------------------------------------------------------------- raise-only, no text


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), level=st.integers(min_value=1, max_value=4))
def test_the_narrative_never_lowers_a_level(text: str, level: int) -> None:
    policy = _POLICY
    result = scan(text, policy)
    assert raise_level(level, result) >= level
    assert raise_level(level, result) == max(level, result.level_hint)


_WORDS = (
    "no not knife strangled alleged denies self-harm left alone, she but . ; "
    "he threatened to kill her himself overdose bruise neck round hands"
)


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.sampled_from([*_WORDS.split(), "", "ruled out", "\n", "\u2019", "\u2013"]),
        max_size=40,
    )
)
def test_the_result_holds_policy_text_only(words: list[str]) -> None:
    policy = _POLICY
    text = " ".join(words) + " Jane Doe 1 Acacia Road"
    for concern in scan(text, policy).concerns:
        category = policy.category(concern.category)
        assert concern.cue in category.cues
        assert concern.level_hint == category.level_hint
        assert concern.flag == FLAG_PREFIX + concern.category
        assert "Jane" not in repr(concern) and "Acacia" not in repr(concern)


def test_the_memo_changes_no_answer(policy: NarrativePolicy) -> None:
    # Classified words are remembered when their phrase cannot depend on what follows; a fresh
    # policy (empty memo) must read every labelled text the same as a warm one.
    texts = [item.text for item in labelled()]
    for text in texts:
        scan(text, policy)
    fresh = policy_from_mapping(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["narrative"])
    assert [scan(text, fresh) for text in texts] == [scan(text, policy) for text in texts]
    assert [scan(text, fresh) for text in reversed(texts)] == [
        scan(text, policy) for text in reversed(texts)
    ]


def test_flags_and_level_hint(policy: NarrativePolicy) -> None:
    result = scan("He strangled her and then cut himself.", policy)
    assert result.flags == (
        "NARRATIVE_CONCERN:strangulation",
        "NARRATIVE_CONCERN:self_harm",
    )
    assert result.level_hint == 4
    assert raise_level(2, result) == 4 and raise_level(4, result) == 4


# --------------------------------------------------------------------------- the policy as data


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "categories": {
            "weapon": {
                "label": "A weapon",
                "level_hint": 3,
                "guidance": "SafeLives Dash",
                "cues": ["knife"],
            }
        },
        "negations": ["no"],
    }
    data.update(changes)
    return data


def test_a_quoted_word_is_read_as_the_word(policy: NarrativePolicy) -> None:
    assert "fgm" in found("Mum says the girls will be 'cut' on the summer trip.", policy)
    assert "homeless" in found("She has been 'sofa-surfing' since mum put her out.", policy)
    assert narrative._unquote(" at her friends' house, 'no' she said") == (
        " at her friends' house,  no  she said"
    )


def test_a_hyphenated_compound_reads_with_a_hyphen_a_space_or_neither(
    policy: NarrativePolicy,
) -> None:
    for text in ("a trap-house", "a trap house", "a traphouse"):
        assert "exploitation" in found(text, policy), text
    for text in ("sofa-surfing", "sofa surfing", "sofasurfing"):
        assert "homeless" in found(text, policy), text


def test_a_minimal_policy_loads_and_scans() -> None:
    policy = policy_from_mapping(minimal())
    assert found("a knife", policy) == {"weapon"} and found("no knife", policy) == set()
    assert policy.scope_chars == narrative.DEFAULT_SCOPE_CHARS


def test_the_default_lexicon_cites_guidance_for_every_category(policy: NarrativePolicy) -> None:
    assert {c.name for c in policy.categories} >= {
        "strangulation",
        "weapon",
        "threat_to_kill",
        "sexual_harm",
        "suicide",
        "left_alone",
        "delusion",
    }
    for category in policy.categories:
        # Level 1 would raise nothing; level 2 is for signs early help supports (a perplexing
        # presentation under a paediatrician's plan), and l2.narrative-concern reads it.
        assert category.guidance and category.level_hint in (2, 3, 4)


def test_words_after_a_lookahead_must_follow_but_are_left_to_be_read() -> None:
    data = minimal(negations=["no", "not", "(didn't|wasn't)"])
    data["categories"]["told"] = {
        "label": "A child's account",
        "level_hint": 4,
        "guidance": "Working Together 2023",
        "cues": ["(child|pupil) ~2 (told|said) > ~6 (hit|knife)"],
    }
    policy = policy_from_mapping(data)
    # the words after > are read again: the knife is a weapon as well as what the child said
    assert found("Pupil told her teacher dad has a knife.", policy) == {"told", "weapon"}
    assert found("Child said dad hit her.", policy) == {"told"}
    # a negation between is not passed over, nor is the end of a clause
    assert found("Child said dad did not hit her.", policy) == set()
    assert found("Child said dad didn't hit her.", policy) == set()
    assert found("Child said she was fine. Dad hit the dog.", policy) == set()
    assert found("Child told her teacher she was happy.", policy) == set()
    (concern,) = scan("Child said dad hit her.", policy).concerns
    assert concern.cue == "(child|pupil) ~2 (told|said) > ~6 (hit|knife)"


def with_cue(cue: str) -> dict[str, Any]:
    data = minimal()
    data["categories"]["weapon"]["cues"] = [cue]
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a mapping"),
        (minimal(colour="red"), "unknown keys colour"),
        (minimal(categories={}), "categories must map"),
        (minimal(categories={"Bad Name": {}}), "lower_snake_case"),
        (minimal(scope_chars=0), "scope_chars"),
        (minimal(negations=[False]), "negations item 1 must be a phrase"),
        (minimal(hedges="possibly"), "hedges must be a list"),
        (with_cue("(knife"), "unclosed"),
        (with_cue("kn*fe"), r"\* may only end"),
        (with_cue("knife ~9 her"), "~N needs N from 1 to 6"),
        (with_cue("~2 knife"), "~N must stand between"),
        (with_cue("knife !(and) fork"), r"!\(\.\.\.\) may only end"),
        (with_cue("Knife"), "'K' is not allowed"),
        (with_cue("kni.fe"), "'.' is not allowed"),
        (with_cue("kni.*fe"), r"\* may only end"),
        (with_cue("k?nife"), "must start with a letter or digit"),
        (with_cue("(knife|gun)? point"), "must start with a letter or digit"),
        (with_cue(""), "non-empty phrase"),
        (with_cue(", knife"), "only a break may start with a lone comma"),
        (with_cue("> knife"), "> may stand once, between two words"),
        (with_cue("knife >"), "> may stand once, between two words"),
        (with_cue("knife > a > b"), "> may stand once, between two words"),
        (with_cue("aged (x18+|y)"), "N\\+ in a choice must be a whole option"),
        (with_cue("aged 100+"), "N\\+ needs N below 100"),
        (with_cue("knife ~2 , her"), "a lone comma must follow a word"),
    ],
)
def test_a_bad_lexicon_is_refused_naming_what_is_wrong(data: Any, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        policy_from_mapping(data)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("level_hint", 5, "level_hint must be 1, 2, 3 or 4"),
        ("level_hint", True, "level_hint"),
        ("guidance", " ", "guidance must be non-empty"),
        ("cues", [], "cues must list at least one"),
        ("denial_negates", "yes", "denial_negates must be true or false"),
        ("weight", 1, "unknown keys weight"),
    ],
)
def test_a_bad_category_is_refused_naming_the_key(key: str, value: Any, message: str) -> None:
    data = minimal()
    data["categories"]["weapon"][key] = value
    with pytest.raises(RuleError, match=f"categories.weapon.*{message}"):
        policy_from_mapping(data)


_POLICY = policy_from_mapping(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["narrative"])


def test_a_300_character_narrative_costs_tens_of_microseconds() -> None:
    # Measured 11.5 us (no cue) to 62-65 us (every clause with a cue) on a loaded development
    # machine; the first design took 170-240 us. The bound only catches a return to that.
    policy = _POLICY
    texts = [item.text for item in labelled()]
    narratives, current = [], ""
    for text in texts:
        current = f"{current} {text}".strip()
        if len(current) >= 300:
            narratives.append(current)
            current = ""
    for text in narratives:
        scan(text, policy)
    best = min(_cpu_per_scan(narratives, policy) for _ in range(5))
    assert best < 250e-6


def _cpu_per_scan(texts: list[str], policy: NarrativePolicy) -> float:
    start = time.process_time()
    for text in texts:
        scan(text, policy)
    return (time.process_time() - start) / len(texts)
