"""Code a cable for the government's reaction to the TIP Report, in Kelley's Scorecard Diplomacy categories.

Pure and explainable: the rules are regular expressions in `data/reaction_lexicon.yaml`, matched sentence by
sentence against what the host government says (the US side's words are skipped), and every code cites the
sentences and rules that carry it. `disputed_claims` extracts the claims of the report the government says are
wrong, for the right-of-reply workflow to turn into disputes.
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any

import ahocorasick
import yaml

from tiptiers.sources.cables import Cable

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = ("U.S", "U.N", "Mr", "Mrs", "Ms", "Dr", "Amb", "Gen", "Col", "Lt", "No", "St", "Jr", "Sr",
                  "e.g", "i.e", "etc", "vs", "Dept", "Govt", "approx")
_SPLIT = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“(]?[A-Z0-9])")


@dataclass(frozen=True)
class Sentence:
    paragraph: int | None  # the paragraph's number, or its position (1-based) in an unnumbered cable
    text: str
    government_voice: bool


@dataclass(frozen=True)
class Citation:
    paragraph: int | None
    sentence: str
    rule: str


@dataclass(frozen=True)
class Reaction:
    code: str
    label: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class DisputedClaim:
    """A statement of the report the government says is wrong; becomes a `Dispute` in the review workflow."""

    claim: str
    sentence: str
    paragraph: int | None
    speaker: str | None
    rule: str
    reference_id: str | None = None
    iso3: str | None = None
    report_year: int | None = None


@dataclass(frozen=True)
class ReactionCoding:
    reactions: tuple[Reaction, ...]
    disputed_claims: tuple[DisputedClaim, ...] = field(default=())

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reactions)

    def get(self, code: str) -> Reaction | None:
        return next((r for r in self.reactions if r.code == code), None)


def _required_literals(items: Any) -> frozenset[str] | None:
    """Strings (lower case) of which a match must contain at least one, read off the parsed regex; None if unknown.

    A cheap prefilter: a rule is tried only on sentences containing one of them (Python's regex engine has no
    literal prefilter of its own for patterns that start with an alternation)."""
    best: frozenset[str] | None = None
    run = ""

    def consider(candidates: frozenset[str] | None) -> None:
        nonlocal best
        if candidates and min(map(len, candidates)) >= 3 and (
                best is None or min(map(len, candidates)) > min(map(len, best))):
            best = candidates

    for op, av in items:
        if op is sre_constants.LITERAL:
            run += chr(av).lower()
            continue
        consider(frozenset({run}) if run else None)
        run = ""
        if op is sre_constants.SUBPATTERN:
            consider(_required_literals(av[-1]))
        elif op is sre_constants.BRANCH:
            alternatives = [_required_literals(branch) for branch in av[1]]
            if all(alternatives):
                consider(frozenset().union(*[a for a in alternatives if a]))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and av[0] >= 1:
            consider(_required_literals(av[2]))
    consider(frozenset({run}) if run else None)
    return best


@dataclass(frozen=True)
class _Rule:
    id: str
    pattern: re.Pattern[str]
    requires: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    literals: frozenset[str] | None = None

    def may_fire(self, lowered: str) -> bool:
        return self.literals is None or any(map(lowered.__contains__, self.literals))

    def accepts(self, sentence: str) -> bool:
        """The sentence passes `requires` and `unless` (the pattern is known to match)."""
        return ((self.requires is None or bool(self.requires.search(sentence)))
                and (self.unless is None or not self.unless.search(sentence)))

    def fires(self, sentence: str, lowered: str | None = None) -> bool:
        if not self.may_fire(lowered if lowered is not None else sentence.lower()):
            return False
        return bool(self.pattern.search(sentence)) and self.accepts(sentence)


@dataclass(frozen=True)
class _Code:
    code: str
    label: str
    rules: tuple[_Rule, ...]
    implied_by: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    codes: tuple[_Code, ...]
    us_voice: tuple[_Rule, ...]
    disputed: tuple[_Rule, ...]

    @property
    def labels(self) -> dict[str, str]:
        return {c.code: c.label for c in self.codes}

    @cached_property
    def literals(self) -> ahocorasick.Automaton:
        """Every required literal of the code and claim rules, to find them all in one pass over a text."""
        automaton = ahocorasick.Automaton()
        for rule in (*(r for c in self.codes for r in c.rules), *self.disputed):
            for literal in rule.literals or ():
                automaton.add_word(literal, literal)
        automaton.make_automaton()
        return automaton


def _compile(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern, re.I) if pattern else None


def _rule(spec: dict[str, Any], where: str) -> _Rule:
    try:
        pattern = _compile(spec["pattern"])
        assert pattern is not None
        literals = _required_literals(sre_parse.parse(spec["pattern"], re.I))
        return _Rule(str(spec["id"]), pattern, _compile(spec.get("requires")), _compile(spec.get("unless")), literals)
    except (KeyError, re.error) as exc:
        raise ValueError(f"reaction lexicon, {where}: bad rule {spec!r}: {exc}") from exc


def load_lexicon(text: str | None = None) -> Lexicon:
    """The bundled lexicon, or one given as YAML text."""
    data = yaml.safe_load(text if text is not None else
                          resources.files("tiptiers.data").joinpath("reaction_lexicon.yaml").read_text("utf-8"))
    codes = tuple(
        _Code(code, spec["label"], tuple(_rule(r, f"code {code}") for r in spec.get("rules", [])),
              tuple(spec.get("implied_by", [])))
        for code, spec in data["codes"].items()
    )
    return Lexicon(
        codes=codes,
        us_voice=tuple(_rule({"id": f"us-voice-{i}", "pattern": p}, "us_voice")
                       for i, p in enumerate(data.get("us_voice", []), start=1)),
        disputed=tuple(_rule(r, "disputed_claims") for r in data.get("disputed_claims", [])),
    )


@cache
def bundled_lexicon() -> Lexicon:
    return load_lexicon()


REACTION_LABELS: dict[str, str] = {}  # filled lazily by reaction_labels()


def reaction_labels() -> dict[str, str]:
    if not REACTION_LABELS:
        REACTION_LABELS.update(bundled_lexicon().labels)
    return REACTION_LABELS


# The lookahead names the letters an initial or abbreviation starts with, so that the other positions are passed
# over at once (three times faster than trying each alternative there).
_INITIALS = "A-Z" + "".join(sorted({a[0] for a in _ABBREVIATIONS if not a[0].isupper()}))
_PROTECT = re.compile(rf"\b(?=[{_INITIALS}])([A-Z]|" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")\.(?=\s)")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; initials (J. Thomas) and abbreviations (U.S., Mr.) do not end one."""
    protected = _PROTECT.sub("\\1\u2024", text)
    # one space between words: citations read cleanly, and no pattern backtracks over long whitespace runs
    return [" ".join(s.replace("\u2024", ".").split()) for s in _SPLIT.split(protected) if s.strip()]


_COMMENT = re.compile(r"\s*(?:Summary\s+and\s+)?Comment\s*:", re.I)
_ATTRIBUTION = re.compile(r"\b(?:said|told|stated|complained|continued|asserted|concluded|finished|added|noted|"
                          r"explained|argued|insisted)\b")


def sentences(cable: Cable, lexicon: Lexicon | None = None) -> list[Sentence]:
    """Every sentence of the cable's paragraphs, marked with whose voice it is.

    A paragraph in which every attributed sentence is the US side's (the DCM's reply, an Embassy comment) is the
    US side's throughout; otherwise each sentence the US side is said to speak is excluded on its own.
    """
    lex = lexicon or bundled_lexicon()
    result: list[Sentence] = []
    for position, paragraph in enumerate(cable.paragraphs, start=1):
        number = paragraph.number if paragraph.number is not None else position
        parts = split_sentences(paragraph.text)
        lowered_text = paragraph.text.lower()
        voices = [r for r in lex.us_voice if r.may_fire(lowered_text)]
        us = [any(r.fires(s, lowered) for r in voices) for s, lowered in zip(parts, map(str.lower, parts), strict=True)
              ] if voices else [False] * len(parts)
        whole_us = bool(_COMMENT.match(paragraph.text)) or (
            any(us) and not any(not u and _ATTRIBUTION.search(s) for s, u in zip(parts, us, strict=True)))
        result += [Sentence(number, s, not (whole_us or u)) for s, u in zip(parts, us, strict=True)]
    return result


_ABOUT_THE_REPORT = re.compile(r"\bTIP\b|\bTVPA\b|(?i:\btrafficking\s+in\s+persons\b|"
                               r"\btier\s+(?:[123]|one|two|three)\b|\bwatch\s+list\b|\bG/TIP\b)")


def about_the_report(cable: Cable) -> bool:
    """Whether the cable speaks of the TIP Report at all (the report, a tier, the Watch List, G/TIP, the TVPA).

    Only such a cable can carry a reaction to the report: the others (most of the diplomatic traffic) are not
    coded, so that "thanked" in a cable about rice tariffs is not taken for appreciation of the report."""
    texts = [cable.subject or "", *(p.text for p in cable.paragraphs)]
    whole = "\n".join(texts)
    lowered = whole.lower()
    if not ("TIP" in whole or "TVPA" in whole or "trafficking in persons" in lowered or "tier" in lowered
            or "watch list" in lowered):  # a quick no for most cables; the expression decides the rest
        return False
    return any(_ABOUT_THE_REPORT.search(text) for text in texts)


def code_reactions(cable: Cable, lexicon: Lexicon | None = None) -> ReactionCoding:
    """The reaction codes of a cable, each citing its sentences, and the claims the government disputes.

    A cable that does not speak of the report (`about_the_report`) gets no code."""
    lex = lexicon or bundled_lexicon()
    if not about_the_report(cable):
        return ReactionCoding(())
    spoken = [s for s in sentences(cable, lex) if s.government_voice]
    subject = cable.subject or ""
    texts = [s.text for s in spoken]
    occurrences = _Occurrences(texts, lex)
    subject_lowered = subject.lower()
    found: dict[str, list[Citation]] = {}
    for code in lex.codes:
        cites = [Citation(spoken[i].paragraph, spoken[i].text, r.id) for r in code.rules
                 for i in _firing_sentences(r, texts, occurrences)]
        if subject:
            cites += [Citation(None, subject, r.id) for r in code.rules if r.fires(subject, subject_lowered)]
        if cites:
            found[code.code] = cites
    for code in lex.codes:  # derived codes (negative) also cite the sentences of the codes that imply them
        implied = [Citation(c.paragraph, c.sentence, f"{other}:{c.rule}")
                   for other in code.implied_by for c in found.get(other, [])]
        if implied:
            found[code.code] = [*found.get(code.code, []), *implied]
    reactions = tuple(Reaction(c.code, c.label, tuple(_dedupe(found[c.code]))) for c in lex.codes if c.code in found)
    return ReactionCoding(reactions, tuple(_claims(cable, spoken, lex, occurrences)))


_SEPARATOR = "\n\x00\n"  # between sentences: no rule's words, spaces or punctuation match it


class _Occurrences:
    """Which sentences contain each literal of the lexicon's rules (in their lower-case text): one pass of an
    Aho-Corasick automaton over the sentences joined, instead of a search per literal."""

    def __init__(self, texts: list[str], lexicon: Lexicon):
        lowered = [t.lower() for t in texts]  # one by one: lower() may change lengths
        starts, position = [], 0
        for text in lowered:
            starts.append(position)
            position += len(text) + len(_SEPARATOR)
        self.found: dict[str, list[int]] = {}
        for end, literal in lexicon.literals.iter(_SEPARATOR.join(lowered)):  # in the order they end
            sentence = bisect_right(starts, end - len(literal) + 1) - 1
            found = self.found.setdefault(literal, [])
            if not found or found[-1] != sentence:
                found.append(sentence)

    def sentences_with(self, literal: str) -> list[int]:
        return self.found.get(literal, [])


def _firing_sentences(rule: _Rule, texts: list[str], occurrences: _Occurrences) -> list[int]:
    """Indices of the sentences on which `rule` fires. The regex is tried only on the sentences that contain one
    of its required literals (exact: a sentence without any of them cannot match)."""
    return [i for i in _candidates(rule, len(texts), occurrences)
            if rule.pattern.search(texts[i]) and rule.accepts(texts[i])]


def _candidates(rule: _Rule, count: int, occurrences: _Occurrences) -> Iterable[int]:
    """The sentences (indices, in order) that contain one of the rule's required literals."""
    if rule.literals is None:
        return range(count)
    return sorted({i for literal in rule.literals for i in occurrences.sentences_with(literal)})


def _dedupe(citations: list[Citation]) -> list[Citation]:
    seen: set[tuple[int | None, str]] = set()
    result = []
    for c in citations:
        if (c.paragraph, c.sentence) not in seen:
            seen.add((c.paragraph, c.sentence))
            result.append(c)
    return result


_SPEAKER = re.compile(
    r"(?:\b(?:said|stated|asserted|added|insisted|argued|complained|concluded|continued)\s+"
    r"(?:[A-Z][\w.-]*\s+){0,6}?(?P<after>[A-Z][a-z]+)\b)|(?:(?P<before>[A-Z][a-z]+)\s+(?:said|stated|asserted|"
    r"added|insisted|argued|complained|concluded|continued)\b)")


def _claims(cable: Cable, spoken: list[Sentence], lex: Lexicon, occurrences: _Occurrences) -> list[DisputedClaim]:
    """At most one claim per sentence: the first rule that fires on it."""
    result = []
    candidates = [set(_candidates(rule, len(spoken), occurrences)) for rule in lex.disputed]
    for i in sorted(set().union(*candidates)):
        s = spoken[i]
        for rule, sentences_of_rule in zip(lex.disputed, candidates, strict=True):
            m = rule.pattern.search(s.text) if i in sentences_of_rule else None
            if m and (rule.unless is None or not rule.unless.search(s.text)):
                speaker = _SPEAKER.search(s.text)
                result.append(DisputedClaim(
                    claim=" ".join(m["claim"].split()).strip(" ,\"“”"),
                    sentence=s.text,
                    paragraph=s.paragraph,
                    speaker=(speaker["after"] or speaker["before"]) if speaker else None,
                    rule=rule.id,
                    reference_id=cable.reference_id,
                    iso3=cable.iso3,
                    report_year=cable.report_year,
                ))
                break
    return result


def disputed_claims(cable: Cable) -> list[DisputedClaim]:
    """The claims of the report that the government says are wrong, each with the sentence that says so.

    For the right-of-reply workflow: each becomes a `Dispute` of the claim, citing the cable.
    """
    return list(code_reactions(cable).disputed_claims)
