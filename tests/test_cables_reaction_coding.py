"""Reaction coding as an expert would: only what the assessed government (or, for media codes, its media) says or
does about the report or its placement. Measured against the hand-coded set written before the coder was run on it
(tests/reaction_hand_coded.json), and checked for the two kinds of miss seen on real cables: whose reaction it is,
and what it is about."""

from __future__ import annotations

import pytest

import reaction_evaluation as ev
import real_cables as rc
import test_cables_corpus as corpus
from tiptiers.sources.cables import parse_cable
from tiptiers.sources.reactions import GOVERNMENT, MEDIA, OTHER, US_SIDE, about_the_report, code_reactions, sentences

TARGET = 0.8


def test_precision_and_recall_per_code_on_the_hand_coded_set(capsys):
    by_cable, by_sentence = ev.evaluate()
    with capsys.disabled():
        print(f"\nreaction coding against the hand-coded set ({len(ev.hand_coded())} cables):\n"
              f"{ev.table(by_cable, by_sentence)}\n{ev.corpus_report()}")
    for name, scores in (("cables", by_cable), ("sentences", by_sentence)):
        total = ev.overall(scores)
        assert total.precision >= TARGET and total.recall >= TARGET, (name, total)
        low = {code: (s.precision, s.recall, s.misses) for code, s in scores.items()
               if s.precision < TARGET or s.recall < TARGET}
        assert low == {}, name


def test_the_hand_coding_covers_every_trafficking_cable_of_the_corpus():
    """Every cable of the corpus that speaks of trafficking in persons was read and coded by hand."""
    import re

    speaks = re.compile(r"\bTIP\b|(?i:trafficking\s+in\s+persons|human\s+trafficking)|G/TIP")
    trafficking = {ref for ref in rc.reference_ids()
                   if "KTIP" in rc.parsed(ref).tags or speaks.search(rc.parsed(ref).body)}
    assert trafficking <= set(ev.hand_coded())


def test_no_code_fires_on_a_cable_that_does_not_mention_the_report():
    coded = []
    for ref in rc.reference_ids():
        cable = rc.parsed(ref)
        coding = code_reactions(cable)
        if not about_the_report(cable) and (coding.codes or coding.disputed_claims):
            coded.append((ref, coding.codes))
    assert coded == []


# --- whose reaction it is -------------------------------------------------------------------------------------------

def with_paragraph(text: str) -> str:
    """The seed cable with one more paragraph at its end (numbered as the release mangles them: 16 for 6)."""
    return corpus.original().rstrip() + f" to no avail.\n\n16. (C) {text}\n"


@pytest.mark.parametrize("sentence", [
    "The Ambassador also praised recent vigorous enforcement actions against traffickers and welcomed the "
    "government's plan to implement the TIP Report's recommendations.",
    "Embassy Tokyo welcomes the visit of G/TIP Director Lagon and is grateful for the Tier 2 report's reception.",
    "The DCM thanked Kawai and said the ranking was fair.",
    "NGO representatives told Poloff the Tier 2 ranking was unfair and very disappointing.",
    "The French Ambassador said his government was disappointed with France's TIP ranking.",
])
def test_the_us_side_and_third_parties_are_never_coded(sentence):
    coding = code_reactions(parse_cable(with_paragraph(sentence)))
    cited = {c.sentence for r in coding.reactions for c in r.citations}
    assert not any(sentence[:40] in s for s in cited)
    assert "appreciation" not in coding.codes


def test_each_sentence_is_attributed_to_its_speaker():
    found = sentences(parse_cable(corpus.original()))

    def of(start: str) -> tuple[str | None, str | None]:
        (s,) = [s for s in found if s.text.startswith(start)]
        return s.voice, s.speaker

    assert of('The Tier 2 ranking is "a very') == (GOVERNMENT, "Kawai")
    assert of("Japanese agencies are feeling")[0] == GOVERNMENT  # Shimbo, from the sentence before
    assert of("Japan has made progress in many") == (US_SIDE, "the DCM")
    assert of("However, the United States remains")[0] == US_SIDE


@pytest.mark.parametrize(("sentence", "voice"), [
    ("The Yomiuri Shimbun criticized the Tier 2 ranking in an editorial.", MEDIA),
    ("Korean officials said the Tier 2 ranking was unfair.", OTHER),
    ("Vice Minister Sato said the Tier 2 ranking was unfair.", GOVERNMENT),
    ("According to MOFA, the Tier 2 ranking was unfair.", GOVERNMENT),
    ("The Japanese government rejects the Tier 2 ranking.", GOVERNMENT),
])
def test_voices(sentence, voice):
    (found,) = [s for s in sentences(parse_cable(with_paragraph(sentence))) if s.text == sentence]
    assert found.voice == voice


def test_media_codes_take_the_host_media_and_other_codes_do_not():
    coding = code_reactions(parse_cable(with_paragraph(
        "The Yomiuri Shimbun criticized the Tier 2 ranking in a front-page editorial, calling it unfair.")))
    assert "media_backlash" in coding.codes
    assert not any("Yomiuri" in c.sentence for c in coding.get("not_fair").citations)


# --- what it is about -----------------------------------------------------------------------------------------------

def test_a_sentence_on_another_subject_of_a_multi_topic_cable_is_not_a_reaction_to_the_report():
    coding = code_reactions(parse_cable(with_paragraph(
        "Turning to the Middle East, Prime Minister Fukuda said he was very pleased and grateful for the "
        "progress toward peace, and disappointed by the violence in Gaza.")))
    cited = {c.sentence for r in coding.reactions for c in r.citations}
    assert not any("Middle East" in s for s in cited) and "appreciation" not in coding.codes


def test_a_real_scene_setter_that_mentions_trafficking_is_not_coded():
    """09PARIS1426: `Embassy Paris welcomes the visit of FBI Director Mueller`, and a paragraph on trafficking
    law; no mention of the report."""
    cable = rc.parsed("09PARIS1426")
    assert "trafficking in persons" in cable.body and not about_the_report(cable)
    assert code_reactions(cable).codes == ()
