"""Reaction coding (Kelley's Scorecard Diplomacy categories): what it finds in the real cable, what it must not."""

from __future__ import annotations

import pytest

import test_cables_corpus as corpus
from tiptiers.sources.cables import parse_cable
from tiptiers.sources.reactions import (
    code_reactions,
    disputed_claims,
    load_lexicon,
    reaction_labels,
    sentences,
    split_sentences,
)

NEGATIVE_CODES = {"negative", "disappointment", "objection", "anger_frustration", "not_fair", "us_arrogance",
                  "moving_goalposts", "harming_relations", "embarrassment", "media_backlash"}


@pytest.fixture(scope="module")
def coding():
    return code_reactions(parse_cable(corpus.original()))


def test_the_fixture_carries_the_reactions_kelley_would_code(coding):
    assert {"negative", "disappointment", "objection", "not_fair", "harming_relations"} <= set(coding.codes)
    assert not {"cooperative", "appreciation", "how_to_improve"} & set(coding.codes)


def test_each_code_cites_the_sentences_that_carry_it(coding):
    disappointment = [c.sentence for c in coding.get("disappointment").citations]
    assert any('"a very disappointing result, very regrettable," said Kawai' in s for s in disappointment)
    objection = [c.sentence for c in coding.get("objection").citations]
    assert any('"completely false,"' in s for s in objection)
    assert any("unacceptable that the report contains references" in s for s in objection)
    unfair = coding.get("not_fair").citations
    assert {c.paragraph for c in unfair} >= {1, 5}
    relations = [c.sentence for c in coding.get("harming_relations").citations]
    assert any("whether to continue cooperation" in s for s in relations)  # the threat to stop cooperating
    assert any("threatens Japan's ability to provide information" in s for s in relations)
    for reaction in coding.reactions:
        assert reaction.label == reaction_labels()[reaction.code]
        assert all(c.rule and c.sentence for c in reaction.citations)


def test_negative_cites_the_subject_and_what_implies_it(coding):
    negative = coding.get("negative").citations
    assert any(c.sentence == "JAPAN REACTS NEGATIVELY TO TIP REPORT TIER RANKING" for c in negative)
    assert any(c.rule.startswith("disappointment:") for c in negative)


def test_the_us_side_is_never_coded(coding):
    cited = {c.sentence for r in coding.reactions for c in r.citations}
    assert not any("the DCM replied" in s or "the DCM added" in s or "replied the DCM" in s for s in cited)
    voices = {s.paragraph: s.government_voice for s in sentences(parse_cable(corpus.original())) if s.paragraph == 4}
    assert voices == {4: False}  # the DCM's reply, throughout


def test_the_disputed_claim_is_extracted_with_its_sentence():
    claims = disputed_claims(parse_cable(corpus.original()))
    assert len(claims) == 1
    claim = claims[0]
    assert claim.claim == "Japanese law not criminalizing labor recruiting through fraud"
    assert claim.sentence.startswith("The report's language about Japanese law") and '"completely false,"' in \
        claim.sentence
    assert (claim.paragraph, claim.speaker, claim.reference_id, claim.iso3, claim.report_year) == (
        3, "Shimbo", "08TOKYO1528", "JPN", 2008)


def test_a_cooperative_appreciative_cable_gets_no_negative_code():
    coding = code_reactions(parse_cable(corpus.cooperative()))
    assert {"appreciation", "cooperative", "how_to_improve"} <= set(coding.codes)
    assert not NEGATIVE_CODES & set(coding.codes)
    assert coding.disputed_claims == ()
    # the Ambassador's own welcome (paragraph 3) is not the government's
    assert all(c.paragraph != 3 for r in coding.reactions for c in r.citations)


def test_a_cable_about_something_else_gets_no_code_at_all():
    coding = code_reactions(parse_cable(corpus.neutral()))
    assert coding.codes == () and coding.disputed_claims == ()
    thanks = corpus.neutral().replace("Prices rose slightly because of higher freight costs.",
                                      "The minister thanked the Ambassador and was very disappointed with prices.")
    assert code_reactions(parse_cable(thanks)).codes == ()  # not about the report: nothing to react to
    assert "appreciation" in code_reactions(parse_cable(thanks.replace("prices.", "the TIP Report."))).codes


def test_the_same_words_from_the_government_are_coded_when_the_dcm_speaks_them_they_are_not():
    cable_text = corpus.neutral().replace(
        "Prices rose slightly because of higher freight costs.",
        "The TIP ranking is unfair and very disappointing, the DCM replied.")
    assert code_reactions(parse_cable(cable_text)).codes == ()
    cable_text = cable_text.replace("the DCM replied", "Vice Minister Sato said")
    assert {"disappointment", "not_fair", "negative"} <= set(code_reactions(parse_cable(cable_text)).codes)


@pytest.mark.parametrize(("sentence", "code"), [
    ("The minister said the TIP criteria keep changing, accusing Washington of moving the goalposts.",
     "moving_goalposts"),
    ("The minister said the Tier 3 ranking was an embarrassment for the government.", "embarrassment"),
    ("The minister said the government worried it would lose Millennium Challenge funding over its TIP ranking.",
     "funding"),
    ("The minister said the press had criticized the TIP ranking on the front page.", "media_backlash"),
    ("The minister said the government was angry at the Tier 2 ranking.", "anger_frustration"),
    ("The minister said the TIP Report was arrogant interference in internal affairs.", "us_arrogance"),
    ("The minister said the government needed to save face with a public rebuttal of the TIP Report.", "face_saving"),
])
def test_each_remaining_category_fires_on_its_words(sentence, code):
    text = corpus.neutral().replace("Prices rose slightly because of higher freight costs.", sentence)
    assert code in code_reactions(parse_cable(text)).codes


def test_negated_appreciation_is_not_appreciation():
    text = corpus.neutral().replace("Prices rose slightly because of higher freight costs.", "The minister said the "
                                    "government was not pleased and not grateful for the TIP Report.")
    assert "appreciation" not in code_reactions(parse_cable(text)).codes


def test_sentences_keep_initials_and_abbreviations_together():
    assert split_sentences("Classified by Amb. J. Thomas Schieffer. The U.S. side agreed. Done!") == [
        "Classified by Amb. J. Thomas Schieffer.", "The U.S. side agreed.", "Done!"]


def test_a_bad_lexicon_rule_is_refused_naming_it():
    with pytest.raises(ValueError, match="code broken"):
        load_lexicon("codes:\n  broken:\n    label: Broken\n    rules:\n      - id: x\n        pattern: '(unclosed'\n")
