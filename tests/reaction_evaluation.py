"""The reaction coder against the hand-coded set (tests/reaction_hand_coded.json): precision and recall per code, by
cable and by cited sentence, and the per-code report over the corpus. Used by the tests and by bench/reactions.py."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import real_cables as rc
from tiptiers.sources.cables import Cable, parse_cable
from tiptiers.sources.reactions import ReactionCoding, code_reactions

HAND_CODED = Path(__file__).with_name("reaction_hand_coded.json")


@cache
def hand_coded() -> dict[str, dict[str, Any]]:
    return dict(json.loads(HAND_CODED.read_text(encoding="utf-8"))["cables"])


def cable(ref: str) -> Cable:
    entry = hand_coded()[ref]
    if "source" in entry:  # the seed, outside the corpus of pages
        return parse_cable((rc.shared() / entry["source"].removeprefix("shared/")).read_text(encoding="utf-8"))
    return rc.parsed(ref)


def _same(a: str, b: str) -> bool:
    """One sentence as the coder cuts it and as the hand coding writes it (a summary's `Summary:` aside)."""
    a, b = " ".join(a.split()).strip(" ,"), " ".join(b.split()).strip(" ,")
    return a == b or (len(b) > 20 and b in a) or (len(a) > 20 and a in b)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)  # what was wrong, for the printout

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def direct_sentences(coding: ReactionCoding, code: str) -> list[str]:
    """The sentences a code cites itself (not those of the codes that imply it)."""
    reaction = coding.get(code)
    return [c.sentence for c in reaction.citations if ":" not in c.rule] if reaction else []


def evaluate() -> tuple[dict[str, Score], dict[str, Score]]:
    """(by cable, by sentence) scores per code over the hand-coded set."""
    by_cable: dict[str, Score] = defaultdict(Score)
    by_sentence: dict[str, Score] = defaultdict(Score)
    for ref, entry in hand_coded().items():
        coding = code_reactions(cable(ref))
        gold = entry["codes"]
        for code in set(gold) | set(coding.codes):
            wanted, got = code in gold, code in coding.codes
            score = by_cable[code]
            score.tp += wanted and got
            score.fp += got and not wanted
            score.fn += wanted and not got
            if wanted != got:
                score.misses.append(f"{ref}: {'extra' if got else 'missed'}")
            expected = [g["sentence"] for g in gold.get(code, [])]
            cited = direct_sentences(coding, code)
            if code == "negative" and not expected and not cited:
                continue
            sentence_score = by_sentence[code]
            for s in cited:
                if any(_same(s, e) for e in expected):
                    sentence_score.tp += 1
                else:
                    sentence_score.fp += 1
                    sentence_score.misses.append(f"{ref} extra: {s[:90]}")
            for e in expected:
                if not any(_same(s, e) for s in cited):
                    sentence_score.fn += 1
                    sentence_score.misses.append(f"{ref} missed: {e[:90]}")
    return dict(by_cable), dict(by_sentence)


def overall(scores: dict[str, Score]) -> Score:
    total = Score()
    for s in scores.values():
        total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
    return total


def table(by_cable: dict[str, Score], by_sentence: dict[str, Score]) -> str:
    lines = [f"{'code':<20} {'cables P':>8} {'R':>5}   {'sentences P':>11} {'R':>5}"]
    for code in sorted(set(by_cable) | set(by_sentence)):
        c, s = by_cable.get(code, Score()), by_sentence.get(code, Score())
        lines.append(f"{code:<20} {c.precision:8.2f} {c.recall:5.2f}   {s.precision:11.2f} {s.recall:5.2f}")
    c, s = overall(by_cable), overall(by_sentence)
    lines.append(f"{'overall':<20} {c.precision:8.2f} {c.recall:5.2f}   {s.precision:11.2f} {s.recall:5.2f}")
    return "\n".join(lines)


def corpus_report() -> str:
    """Per code: how many of the corpus's trafficking cables get it, with the sentences it cites."""
    counts: Counter[str] = Counter()
    cites: dict[str, list[str]] = defaultdict(list)
    refs = [ref for ref in hand_coded() if "source" not in hand_coded()[ref]]
    for ref in refs:
        coding = code_reactions(rc.parsed(ref))
        for reaction in coding.reactions:
            counts[reaction.code] += 1
            cites[reaction.code] += [f"{ref} ¶{c.paragraph}: {c.sentence}" for c in reaction.citations]
    lines = [f"{len(refs)} trafficking cables of the corpus; codes given:"]
    if not counts:
        lines.append("  none (no cable of the corpus reacts to the TIP Report)")
    for code, n in counts.most_common():
        lines.append(f"  {code}: {n} cables")
        lines += [f"    {c}" for c in cites[code]]
    return "\n".join(lines)
