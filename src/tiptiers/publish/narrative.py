"""Country narratives: generated Markdown from the assessment (or, for the bundled history, from the placements and
the law that applied), and Markdown -> sanitised HTML (markdown-it-py, then nh3 with an allow-list).

Pure: plain dataclasses in, text out.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache

import nh3
from markdown_it import MarkdownIt

from tiptiers.tiers import N_, Tier

ALLOWED_TAGS = {"a", "abbr", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "li", "ol", "p", "pre",
                "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "del", "sup", "sub"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
LEVEL_WORDS = {"not_met": N_("not met"), "partial": N_("partly met"), "substantial": N_("substantially met"),
               "full": N_("fully met")}
THREE_PS = ("criterion_1", "criterion_2", "criterion_3")  # prosecution, protection, prevention
HEADINGS = (N_("Prosecution"), N_("Protection"), N_("Prevention"))
RULES_TITLE = N_("The law's rules that applied in %(year)s")
Words = Callable[[str], str]


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class RatingLine:
    criterion: str
    title: str
    level: str
    note: str = ""


@dataclass(frozen=True)
class ReasonLine:
    text: str
    reference: str = ""


@dataclass(frozen=True)
class RuleLine:
    name: str
    description: str
    value: str
    reference: str


@dataclass(frozen=True)
class NarrativeData:
    iso3: str
    country: str
    year: int
    tier: str | None
    history: list[tuple[int, str]]
    assessed: bool
    reasons: list[ReasonLine] = field(default_factory=list)
    ratings: list[RatingLine] = field(default_factory=list)
    profile: str = ""
    rules: list[RuleLine] = field(default_factory=list)
    methodology: str = ""
    law_date: str = ""
    movement: str = ""  # the year-over-year movement and the downgrade rule's verdict, in words
    record: list[str] = field(default_factory=list)  # what the record holds of the year, one line each, in words


def items_in_words(ids: Iterable[str], titles: Mapping[str, str]) -> str:
    """Standards and criteria by their titles ("Criminal prosecution; Victim protection"), never by id; an id the
    methodology does not know stays as it is."""
    return "; ".join(titles.get(i, i) for i in ids)


def _tier_text(tier: str | None, words: Words = str) -> str:
    return words(Tier(tier).label) if tier else words(N_("not placed"))


def _level(level: str, words: Words) -> str:
    return words(LEVEL_WORDS[level]) if level in LEVEL_WORDS else level


def _rating_sentence(r: RatingLine, words: Words = str) -> str:
    note = f" {r.note.strip()}" if r.note.strip() else ""
    title = words(r.title) if r.title else r.title
    return "- " + words(N_("**%(title)s**: %(level)s.")) % {"title": title, "level": _level(r.level, words)} + note


def generate_markdown(d: NarrativeData, with_rules: bool = True, words: Words = str,
                      sentence: Words = _same) -> str:
    """The narrative as analysts start editing it (`with_rules=False`: without the law's rules, which the whole
    report prints once, in its appendix).

    `words` puts the text's own messages (headings, fixed sentences, tier and level names, the methodology's
    titles) into a reader's language (a web page's gettext; English as is), `sentence` the sentences the data
    carries in English (the engine's reasons, the movement, the record's lines); the default is the English text
    analysts edit and the JSON gives. Names (`d.country`) are shown as given."""
    w = words
    lines = [f"# {d.country} ({d.year})", "", "**" + w(N_("Tier: %(tier)s")) % {"tier": _tier_text(d.tier, w)} + "**",
             ""]
    if not d.assessed:
        lines += ["## " + w(N_("What the record holds")), "",
                  "- " + w(N_("%(country)s was placed in %(tier)s in the %(year)s TIP Report.")) % {
                      "country": d.country, "tier": _tier_text(d.tier, w), "year": d.year}]
        if d.movement:
            lines.append(f"- {sentence(d.movement)}")
        lines += [f"- {sentence(line)}" for line in d.record]
        lines += [
            "",
            w(N_("No assessment of %(country)s for %(year)s is recorded in tiptiers: this is the placement as "
                 "published in the %(year)s TIP Report, from the public record. The criteria ratings, the evidence "
                 "and the government's comments that an assessment would carry do not exist for this year; the "
                 "report's own narrative gives its reasons.")) % {"country": d.country, "year": d.year}, "",
        ]
    else:
        lines += ["## " + w(N_("Reasons")), ""]
        lines += [f"- {sentence(r.text)}" + (f" ({r.reference})" if r.reference else "") for r in d.reasons] or [
            "- " + w(N_("The engine recorded no reasons for this determination."))]
        lines.append("")
        by_id = {r.criterion: r for r in d.ratings}
        for criterion, heading in zip(THREE_PS, HEADINGS, strict=True):
            lines += [f"## {w(heading)}", ""]
            rating = by_id.get(criterion)
            lines += [_rating_sentence(rating, w) if rating else
                      "- " + w(N_("%(heading)s was not rated.")) % {"heading": w(heading)}, ""]
        others = [r for r in d.ratings if r.criterion not in THREE_PS]
        if others:
            lines += ["## " + w(N_("Other standards and criteria")), "", *[_rating_sentence(r, w) for r in others],
                      ""]
        lines += ["## " + w(N_("Recommendations")), ""]
        todo = [r for r in d.ratings if r.level in ("not_met", "partial")]
        lines += ["- " + w(N_("Meet %(item)s, now %(level)s.")) % {
            "item": w(r.title).lower() if r.title else r.criterion, "level": _level(r.level, w)} for r in todo] or [
            "- " + w(N_("Sustain the efforts rated at least substantially met."))]
        lines += ["", "## " + w(N_("Trafficking profile")), "",
                  d.profile.strip() or w(N_("No trafficking profile has been written yet.")), ""]
    lines += ["## " + w(N_("Placement history")), "", f"| {w(N_('Year'))} | {w(N_('Tier'))} |", "|---|---|"]
    lines += [f"| {y} | {_tier_text(t, w)} |" for y, t in d.history]
    lines.append("")
    if d.rules and with_rules:
        lines += [rules_heading(d.year, w), ""]
        if d.methodology:
            lines += [w(N_("%(methodology)s; most recent provision in force from %(date)s.")) % {
                "methodology": d.methodology, "date": d.law_date}, ""]
        lines += ["- " + w(N_("%(rule)s: %(value)s (%(reference)s)")) % {
            "rule": sentence(r.description.rstrip(". ")), "value": _value_words(r.value, w), "reference": r.reference}
            for r in d.rules]
        lines.append("")
    return "\n".join(lines)


def _value_words(value: str, words: Words = str) -> str:
    """A rule's value for a person: yes/no rather than True/False, none rather than None."""
    named = {"True": N_("yes"), "False": N_("no"), "None": N_("none")}.get(value)
    return words(named) if named else value


def rules_heading(year: int, words: Words = str) -> str:
    """The heading of the law's rules in a narrative (split_rules finds it)."""
    return "## " + words(RULES_TITLE) % {"year": year}


RULES_HEADING = "## The law's rules that applied in "


def split_rules(markdown: str, heading: str = RULES_HEADING) -> tuple[str, str]:
    """The narrative and its rule listing (from the heading RULES_HEADING, or `heading` in a reader's language, to
    the end, "" if none): the page folds the listing away, the PDF and the JSON keep the whole text."""
    at = markdown.find("\n" + heading)
    if at < 0:
        return markdown, ""
    return markdown[:at + 1], markdown[at + 1:]


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


@lru_cache(maxsize=2048)  # a pure function of the text: pages rendered again (after a write) reuse it
def render_markdown(text: str) -> str:
    """Markdown in, sanitised HTML out: raw HTML in the source is not rendered, and the output passes nh3."""
    html = _markdown().render(text)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer")


def diff_lines(before: str, after: str) -> list[tuple[str, str]]:
    """A line diff for showing a correction: (kind, line) with kind '+', '-' (changed lines only, in order)."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("+++", "---", "@@")):
            continue
        out.append((line[0], line[1:]))
    return out
