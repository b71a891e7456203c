"""Code a cable for the government's reaction to the TIP Report, in Kelley's Scorecard Diplomacy categories.

Pure and explainable. Only what the assessed government says or does about the report or its placement is coded:
- the cable must speak of the report (`about_the_report`: the TIP Report, a Tier placement, the Watch List);
- only the paragraphs that speak of it (or of trafficking, in a cable about the report) are read, so a sentence on
  another subject of a multi-topic cable is not taken for a reaction to the report;
- each sentence is attributed to a speaker (`X said`, `according to X`, the sentence before, the subject of the
  sentence) and the speaker classed: the host government, its media, the US side (the Ambassador, the DCM, the
  Embassy, Washington), or someone else (NGOs, other governments, the opposition). A code's rules fire only on the
  voices it is about: the government's, and for media codes the host media's too.
The rules are regular expressions in `data/reaction_lexicon.yaml`; every code cites the sentences, rules and
speakers that carry it. The definitions and blind spots are in `data/reaction_codebook.md`. `disputed_claims`
extracts the claims of the report the government says are wrong, for the right-of-reply workflow.
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

from tiptiers.countries import country_table
from tiptiers.sources.cables import Cable

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = ("U.S", "U.N", "Mr", "Mrs", "Ms", "Dr", "Amb", "Gen", "Col", "Lt", "No", "St", "Jr", "Sr",
                  "e.g", "i.e", "etc", "vs", "Dept", "Govt", "approx")
_SPLIT = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“(]?[A-Z0-9])")


GOVERNMENT, MEDIA, US_SIDE, OTHER = "government", "media", "us", "other"  # whose words a sentence is


@dataclass(frozen=True)
class Sentence:
    paragraph: int | None  # the paragraph's number, or its position (1-based) in an unnumbered cable
    text: str
    voice: str | None  # GOVERNMENT, MEDIA, US_SIDE, OTHER; None where the cable does not say who
    speaker: str | None  # as the cable names them: "Kawai", "the DCM", "Asahi Shimbun"
    about_the_report: bool  # in a paragraph that speaks of the report, its placement, or trafficking

    @property
    def government_voice(self) -> bool:
        """The assessed government speaking about the report: what most codes are about."""
        return self.voice == GOVERNMENT and self.about_the_report


@dataclass(frozen=True)
class Citation:
    paragraph: int | None
    sentence: str
    rule: str
    speaker: str | None = None


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
    voices: frozenset[str] = frozenset({GOVERNMENT})  # whose words the code's rules are tried on

    def codes_sentence(self, sentence: Sentence) -> bool:
        return sentence.about_the_report and sentence.voice in self.voices


@dataclass(frozen=True)
class Lexicon:
    codes: tuple[_Code, ...]
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
              tuple(spec.get("implied_by", [])), frozenset(spec.get("voices", [GOVERNMENT])))
        for code, spec in data["codes"].items()
    )
    for code in codes:
        if not code.voices <= {GOVERNMENT, MEDIA}:
            raise ValueError(f"reaction lexicon, code {code.code}: voices must be among government, media")
    return Lexicon(codes=codes, disputed=tuple(_rule(r, "disputed_claims") for r in data.get("disputed_claims", [])))


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


# --- who speaks ------------------------------------------------------------------------------------------------

_SAY = (r"(?:said|says|told|tells|stated|states|complained|complains|continued|continues|asserted|concluded|"
        r"finished|added|adds|noted|notes|explained|argued|insisted|replied|responded|stressed|urged|remarked|"
        r"commented|observed|underscored|emphasi[sz]ed|claimed|maintained|acknowledged|admitted|lamented|warned|"
        r"asked|praised|thanked|welcomed|expressed|conveyed|promised|agreed|pledged|criticized|criticised|"
        r"rejected|protested|reiterated|confirmed|indicated|opined|suggested|announced|declared|wrote|reported|"
        r"editorialized|asserts|argues|observes)")
_NAME = r"[A-Z][\w.'’/-]*"
_WORD = r"[\w.'’/-]+"
# `..., Kawai complained.` / `..., Deputy Director General Masatoshi Shimbo continued, adding ...`
_SAID_AFTER = re.compile(rf",\s+(?P<who>(?:{_WORD}\s+){{0,9}}?{_WORD})\s+(?:also\s+|then\s+|again\s+)?{_SAY}\b")
# `... said Kawai.` / `..., replied the DCM, but ...`
_SAID_BEFORE = re.compile(rf"\b{_SAY}\s+(?P<who>(?:the\s+)?{_NAME}(?:\s+(?:{_NAME}|of|for|the)){{0,8}}?)"
                          r"\s*(?:[,.;:]|$|\s+(?:that|to|on|in|at|during|when|who)\b)")
# `Foreign Secretary Romulo thanked the Ambassador ...` / `The minister replied ...`
_SAID_FIRST = re.compile(rf"^\W*(?P<who>(?:{_WORD}\s+){{0,9}}?{_WORD})\s+(?:also\s+|then\s+|again\s+|later\s+|"
                         rf"further\s+)?{_SAY}\b")
_ACCORDING = re.compile(rf"\b(?i:according)\s+to\s+(?P<who>(?:the\s+)?{_NAME}(?:\s+(?:{_NAME}|of|for|the)){{0,8}})")
# the subject of a sentence that reports what the government feels or does: `Japan is very disappointed ...`
_SUBJECT = re.compile(rf"^\W*(?:In addition,?\s+|However,?\s+|Moreover,?\s+)?(?P<who>(?:{_WORD}\s+){{0,4}}?"
                      rf"{_WORD})\s+(?:is|was|are|were|has|have|had|will|would|does|did|takes|took|remains|feels|"
                      r"sees|considers|believes|wants|hopes|intends|plans|appreciates|welcomes|rejects|disputes)\b")
_COMMENT = re.compile(r"^\W*(?:Summary\s+and\s+)?Comment\s*[:.]", re.I)

_US = re.compile(r"\b(?:DCM|Charg[eé](?:\s+d'Affaires)?|A/DCM|Ambassador|Amb\.|Poloff|Econoff|Emboff|Polcouns|PolCouns|"
                 r"Econcouns|EconCouns|Pol(?:itical)?\s+Counselor|Embassy|Mission|post|Post|we|We|us|USG|United\s+States|"
                 r"U\.S\.|Washington|Department|Secretary|A/S|U/S|Assistant\s+Secretary|Under\s+Secretary|Deputy\s+"
                 r"Secretary|Senator|Codel|CODEL|Staffdel|Congressman|Congresswoman|Rep\.|G/TIP|Consul|CG|PAO|RSO|Legat|"
                 r"DAS|Special\s+(?:Envoy|Representative)|Ambassador-at-Large|S/E|Admiral|General\s+Petraeus|FBI|DHS|"
                 r"USAID)\b")
_MEDIA = re.compile(r"\b(?:newspapers?|papers|daily|dailies|press|media|editorials?|columns?|columnists?|commentators?|"
                    r"TV|television|broadcasters?|radio|headlines?|weekly|tabloids?|journalists?|reporters?|Shimbun|"
                    r"Times|Post|Herald|Tribune|Daily|Gazette|Journal|News)\b", re.I)
_GOVERNMENT = re.compile(
    r"\b(?:MFA|MOFA|FonMin|FM|PM|DG|DDG|DVM|MP|MPs|FCO|MOJ|MOI|MOL|GO[A-Z]{1,3}|"
    r"(?i:prime\s+minister|vice\s+minister|deputy\s+minister|minister|ministry|ministers|president|king|queen|emir|amir|"
    r"sheikh|crown\s+prince|premier|chancellor|secretary[-\s]general|director(?:[-\s]general)?|deputy|"
    r"under-?secretary|spokes(?:man|woman|person)|officials?|government|cabinet|parliament\w*|attorney\s+general|"
    r"prosecutors?|police|state\s+secretary|secretary\s+of\s+state\s+for|councillor|agency|agencies|"
    r"commission(?:er)?|council|governor|mayor|ambassador\s+to\s+the\s+(?:U\.S\.|United\s+States)|coordinator|"
    r"administration|foreign\s+office|palace|authorities|interior|foreign\s+affairs))\b")
_OTHER = re.compile(r"\b(?:NGOs?|UN|U\.N\.|IOM|UNICEF|UNHCR|ILO|OSCE|EU|civil\s+society|opposition|activists?|"
                    r"academics?|scholars?|professor|contacts?|sources?|businessm[ae]n|think\s+tank|analysts?|"
                    r"diplomats?|observers?|lawyers?|victims?|survivors?|shelter|church|Caritas|Amnesty|"
                    r"Human\s+Rights\s+Watch|Polaris|Vital\s+Voices)\b")
_NOT_WHO = frozenset({"it", "this", "that", "he", "she", "they", "there", "which", "who", "what", "one"})
_GENERIC = frozenset({"republic", "democratic", "kingdom", "united", "states", "islands", "people", "peoples",
                      "federation", "islamic", "state", "plurinational", "bolivarian", "union", "north", "south",
                      "east", "west", "central", "saint", "great", "northern", "american"})
# people of a country whose first four letters are not its name's: French (France), Spanish (Spain)
_DEMONYM_STEMS = {"french": "fran", "spanish": "spai", "polish": "pola", "dutch": "neth", "english": "brit",
                  "scottish": "brit", "welsh": "brit", "irish": "irel", "danish": "denm", "finnish": "finl",
                  "swiss": "swit", "filipino": "phil", "burmese": "myan", "emirati": "emir", "thai": "thai",
                  "lao": "laos", "czech": "czec", "slovak": "slov", "greek": "gree", "turkish": "turk"}


@cache
def _country_stems() -> frozenset[str]:
    """The first four letters of every word of every country's names: `japa`, `kore`, `russ`."""
    stems: set[str] = set(_DEMONYM_STEMS.values())
    for country in country_table():
        for name in (country.name, *country.aliases):
            stems.update(w.lower()[:4] for w in re.findall(r"[A-Za-z]{4,}", name) if w.lower() not in _GENERIC)
    return frozenset(stems)


def _stem(word: str) -> str:
    return _DEMONYM_STEMS.get(word.lower(), word.lower()[:4])


@dataclass(frozen=True)
class _Host:
    """The assessed government's country as a cable names it: `Japan`, `Japanese`, `GOJ`, `Tokyo`."""

    stems: frozenset[str]  # lower-case four-letter stems of the country's names: "japa"

    @classmethod
    def of(cls, cable: Cable) -> _Host:
        stems: set[str] = set()
        country = country_table().get(cable.iso3) if cable.iso3 else None
        for name in (country.name, *country.aliases) if country else ():
            stems.update(w.lower()[:4] for w in re.findall(r"[A-Za-z]{4,}", name) if w.lower() not in _GENERIC)
        stems.update(stem for word, stem in _DEMONYM_STEMS.items() if country and stem in stems)
        return cls(frozenset(stems))

    def foreign(self, who: str) -> bool:
        """Whether the phrase names another country or its people (`the French Ambassador`, `Korean officials`)."""
        known = _country_stems()
        return any((stem := _stem(word)) in known and stem not in self.stems
                   for word in re.findall(r"\b[A-Z][a-z]{2,}\b", who))

    def names(self, who: str) -> bool:
        return any(_stem(word) in self.stems for word in re.findall(r"\b[A-Z][a-z]{2,}\b", who))


def _voice_of(who: str, host: _Host, people: dict[str, str] | _People) -> str | None:
    """Whose side a speaker is on: the host government, its media, the US side, or another."""
    words = who.split()
    if not words or words[-1].lower() in _NOT_WHO:
        return None
    if _MEDIA.search(who) and not _US.search(who):
        return MEDIA if not host.foreign(who) else OTHER
    if _GOVERNMENT.search(who) and (not _US.search(who) or re.search(r"\bto\s+the\s+(?:U\.S\.|United)", who)):
        return OTHER if host.foreign(who) else GOVERNMENT
    if _US.search(who):
        return OTHER if host.foreign(who) else US_SIDE
    if _OTHER.search(who) or host.foreign(who):
        return OTHER
    if host.names(who):  # `Japan`, `the Japanese`, `GOJ` (a government abbreviation is matched above)
        return GOVERNMENT
    return people.get(words[-1].strip(".,'’"))


class _People:
    """Who a surname is, as the cable introduces them (`Deputy Vice Minister ... Chikao Kawai`, `DVM Kawai`)."""

    def __init__(self, text: str, host: _Host):
        self.text, self.host = text, host
        self.known: dict[str, str | None] = {}

    def get(self, surname: str, default: str | None = None) -> str | None:
        if surname not in self.known:
            self.known[surname] = None
            for m in re.finditer(rf"\b{re.escape(surname)}\b", self.text):
                before = self.text[max(0, m.start() - 90):m.start()]
                before = re.split(r"[.;:!?]\s|,\s+(?:the\s+)?(?=[a-z])", before)[-1]  # the phrase it ends, not before
                voice = _voice_of(before, self.host, {}) if before.strip() else None
                if voice is not None:
                    self.known[surname] = voice
                    break
        return self.known[surname] if self.known[surname] is not None else default


def _speaker(sentence: str) -> str | None:
    for pattern in (_SAID_AFTER, _SAID_BEFORE, _ACCORDING, _SAID_FIRST):
        m = pattern.search(sentence)
        if m and m["who"].split()[-1].lower().strip(".,;:") not in _NOT_WHO:
            return m["who"].strip(" .,;:")
    return None


# --- what is about the report ---------------------------------------------------------------------------------------

_REPORT = re.compile(
    r"\b(?:TIP|TIP/TVPA|Trafficking\s+in\s+Persons)\s+(?:\(TIP\)\s+)?[Rr]eport|\bTIP\s+REPORT|"
    r"\bTier\s+(?:1|2|3|One|Two|Three|I{1,3}|2\s*WL|2\s+Watch\s+List)\b|\bTIER\s+(?:1|2|3|ONE|TWO|THREE)\b|"
    r"\bTier\s+ranking|\bTIP\s+(?:rankings?|ratings?|placement|tiers?|criteria|standards|scorecard)|\b(?:down|up)grad\w*\s+(?:\w+\s+){0,3}Tier\b|"
    r"\bTVPA\b|\bG/TIP\b.{0,60}\breport", re.I)
# what every match of _REPORT holds (TIP, G/TIP, Tier, TVPA, Trafficking in), searched in the lowered text: one
# expression with a literal start, which the scan skips to (an expression with re.I is checked at every character:
# ten times slower; a class such as [Tt] is scanned for as slowly)
_REPORT_HINT = re.compile(r"t(?:ip\b|ier|vpa|rafficking\s+in)")
_TRAFFICKING = re.compile(r"\bTIP\b|traffick|\bG/TIP\b|\bTVPA\b|\b(?:ranking|tier|watch\s+list|the\s+report)\b", re.I)


def speaks_of_the_report(text: str) -> bool:
    """A text that names the report, a Tier placement or the TIP ranking."""
    return bool(_REPORT.search(text))


def about_the_report(cable: Cable) -> bool:
    """Whether the cable speaks of the TIP Report: the report by name, a Tier placement, the Watch List with a Tier.

    Only such a cable can carry a reaction to the report: the others (most of the traffic, and cables on
    trafficking that never mention the report) get no code, so that "thanked" in a cable about rice tariffs, or
    "welcomes" in a scene-setter with a paragraph on trafficking law, is not taken for a reaction."""
    texts = [cable.subject or "", *(p.text for p in cable.paragraphs)]
    if _REPORT_HINT.search("\n".join(texts).lower()) is None:
        return False  # a quick no for most cables; the expression decides the rest
    return any(speaks_of_the_report(text) for text in texts)


def sentences(cable: Cable, lexicon: Lexicon | None = None) -> list[Sentence]:
    """Every sentence of the cable's paragraphs, with whose voice it is and whether it is about the report.

    A sentence names its speaker (`X said`, `said X`, `according to X`, `X told ...`), or goes on with the
    speaker of the sentence before it in the same paragraph, or reports what its subject (`Japan`, `the
    government`, `We`) feels or does. An Embassy comment is the US side's throughout. A paragraph is about the
    report when it speaks of the report, a placement, the ranking or trafficking."""
    del lexicon  # the voices no longer come from the lexicon; kept for callers that pass one
    host = _Host.of(cable)
    people = _People("\n".join(p.text for p in cable.paragraphs), host)
    report = about_the_report(cable)
    result: list[Sentence] = []
    for position, paragraph in enumerate(cable.paragraphs, start=1):
        number = paragraph.number if paragraph.number is not None else position
        in_scope = report and bool(_TRAFFICKING.search(paragraph.text))
        comment = bool(_COMMENT.match(paragraph.text))
        voice: str | None = US_SIDE if comment else None
        speaker: str | None = "the Embassy's comment" if comment else None
        for text in split_sentences(paragraph.text):
            who = None if comment else _speaker(text)
            if who is not None:
                voice, speaker = _voice_of(who, host, people), who
            elif not comment and (subject := _SUBJECT.match(text)) is not None:
                subject_voice = _voice_of(subject["who"], host, people)
                if subject_voice in (GOVERNMENT, US_SIDE) or voice is None:
                    voice, speaker = subject_voice, subject["who"]
            result.append(Sentence(number, text, voice, speaker, in_scope))
    return result


def code_reactions(cable: Cable, lexicon: Lexicon | None = None) -> ReactionCoding:
    """The reaction codes of a cable, each citing its sentences, and the claims the government disputes.

    A cable that does not speak of the report (`about_the_report`) gets no code."""
    lex = lexicon or bundled_lexicon()
    if not about_the_report(cable):
        return ReactionCoding(())
    heard = [s for s in sentences(cable, lex) if s.about_the_report and s.voice in (GOVERNMENT, MEDIA)]
    subject = cable.subject or ""
    texts = [s.text for s in heard]
    occurrences = _Occurrences(texts, lex)
    subject_lowered = subject.lower()
    found: dict[str, list[Citation]] = {}
    for code in lex.codes:
        cites = [Citation(heard[i].paragraph, heard[i].text, r.id, heard[i].speaker) for r in code.rules
                 for i in _firing_sentences(r, texts, occurrences) if code.codes_sentence(heard[i])]
        if subject and speaks_of_the_report(subject):  # the Embassy's subject line says how the government reacted
            cites += [Citation(None, subject, r.id, "the subject line") for r in code.rules
                      if r.fires(subject, subject_lowered)]
        if cites:
            found[code.code] = cites
    for code in lex.codes:  # derived codes (negative) also cite the sentences of the codes that imply them
        implied = [Citation(c.paragraph, c.sentence, f"{other}:{c.rule}", c.speaker)
                   for other in code.implied_by for c in found.get(other, [])]
        if implied:
            found[code.code] = [*found.get(code.code, []), *implied]
    reactions = tuple(Reaction(c.code, c.label, tuple(_dedupe(found[c.code]))) for c in lex.codes if c.code in found)
    spoken = [i for i, s in enumerate(heard) if s.voice == GOVERNMENT]
    return ReactionCoding(reactions, tuple(_claims(cable, heard, spoken, lex, occurrences)))


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


def _claims(cable: Cable, heard: list[Sentence], spoken: list[int], lex: Lexicon,
            occurrences: _Occurrences) -> list[DisputedClaim]:
    """At most one claim per sentence the government speaks: the first rule that fires on it."""
    result = []
    allowed = set(spoken)
    candidates = [set(_candidates(rule, len(heard), occurrences)) & allowed for rule in lex.disputed]
    for i in sorted(set().union(*candidates)):
        s = heard[i]
        for rule, sentences_of_rule in zip(lex.disputed, candidates, strict=True):
            m = rule.pattern.search(s.text) if i in sentences_of_rule else None
            if m and (rule.unless is None or not rule.unless.search(s.text)):
                result.append(DisputedClaim(
                    claim=" ".join(m["claim"].split()).strip(" ,\"“”"),
                    sentence=s.text,
                    paragraph=s.paragraph,
                    speaker=s.speaker.split()[-1] if s.speaker else None,
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
