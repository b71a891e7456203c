"""Country narratives: generated Markdown from the assessment (or, for the bundled history, from the placements and
the law that applied), and Markdown -> sanitised HTML (markdown-it-py, then nh3 with an allow-list).

Pure: plain dataclasses in, text out.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache

import nh3
from markdown_it import MarkdownIt

from tiptiers.tiers import Tier

ALLOWED_TAGS = {"a", "abbr", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "li", "ol", "p", "pre",
                "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "del", "sup", "sub"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
LEVEL_WORDS = {"not_met": "not met", "partial": "partly met", "substantial": "substantially met", "full": "fully met"}
THREE_PS = ("criterion_1", "criterion_2", "criterion_3")  # prosecution, protection, prevention


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


def _tier_text(tier: str | None) -> str:
    return Tier(tier).label if tier else "not placed"


def _rating_sentence(r: RatingLine) -> str:
    note = f" {r.note.strip()}" if r.note.strip() else ""
    return f"- **{r.title}**: {LEVEL_WORDS.get(r.level, r.level)}.{note}"


def generate_markdown(d: NarrativeData, with_rules: bool = True) -> str:
    """The narrative as analysts start editing it (`with_rules=False`: without the law's rules, which the whole
    report prints once, in its appendix)."""
    lines = [f"# {d.country} ({d.year})", "", f"**Tier: {_tier_text(d.tier)}**", ""]
    if not d.assessed:
        lines += ["## What the record holds", "",
                  f"- {d.country} was placed in {_tier_text(d.tier)} in the {d.year} TIP Report."]
        if d.movement:
            lines.append(f"- {d.movement}")
        lines += [f"- {line}" for line in d.record]
        lines += [
            "",
            f"No assessment of {d.country} for {d.year} is recorded in tiptiers: this is the placement as published "
            f"in the {d.year} TIP Report, from the public record. The criteria ratings, the evidence and the "
            "government's comments that an assessment would carry do not exist for this year; the report's own "
            "narrative gives its reasons.", "",
        ]
    else:
        lines += ["## Reasons", ""]
        lines += [f"- {r.text}" + (f" ({r.reference})" if r.reference else "") for r in d.reasons] or [
            "- The engine recorded no reasons for this determination."]
        lines.append("")
        by_id = {r.criterion: r for r in d.ratings}
        for criterion, heading in zip(THREE_PS, ("Prosecution", "Protection", "Prevention"), strict=True):
            lines += [f"## {heading}", ""]
            rating = by_id.get(criterion)
            lines += [_rating_sentence(rating) if rating else f"- {heading} was not rated.", ""]
        others = [r for r in d.ratings if r.criterion not in THREE_PS]
        if others:
            lines += ["## Other standards and criteria", "", *[_rating_sentence(r) for r in others], ""]
        lines += ["## Recommendations", ""]
        todo = [r for r in d.ratings if r.level in ("not_met", "partial")]
        lines += [f"- Meet {r.title.lower() if r.title else r.criterion}, now "
                  f"{LEVEL_WORDS.get(r.level, r.level)}." for r in todo] or [
            "- Sustain the efforts rated at least substantially met."]
        lines += ["", "## Trafficking profile", "", d.profile.strip() or "No trafficking profile has been written yet.",
                  ""]
    lines += ["## Placement history", "", "| Year | Tier |", "|---|---|"]
    lines += [f"| {y} | {_tier_text(t)} |" for y, t in d.history]
    lines.append("")
    if d.rules and with_rules:
        lines += [f"## The law's rules that applied in {d.year}", ""]
        if d.methodology:
            lines += [f"{d.methodology}; most recent provision in force from {d.law_date}.", ""]
        lines += [f"- {r.description.rstrip('. ')}: {_value_words(r.value)} ({r.reference})" for r in d.rules]
        lines.append("")
    return "\n".join(lines)


def _value_words(value: str) -> str:
    """A rule's value for a person: yes/no rather than True/False, none rather than None."""
    return {"True": "yes", "False": "no", "None": "none"}.get(value, value)


RULES_HEADING = "## The law's rules that applied in "


def split_rules(markdown: str) -> tuple[str, str]:
    """The narrative and its rule listing (from the heading RULES_HEADING to the end, "" if none): the page folds
    the listing away, the PDF and the JSON keep the whole text."""
    at = markdown.find("\n" + RULES_HEADING)
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
