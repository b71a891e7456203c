"""Gathers what a country-year narrative shows from the store: the placement and its history, the assessment and
the engine's Determination, the methodology of the year, the published claims with the government's comments, and
the stored narrative versions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tiptiers.countries import country_table
from tiptiers.engine import Determination
from tiptiers.methodology import Methodology, MethodologyError, methodology_for_year
from tiptiers.publish.movements import movements
from tiptiers.publish.narrative import (
    RULES_HEADING,
    NarrativeData,
    RatingLine,
    ReasonLine,
    RuleLine,
    diff_lines,
    generate_markdown,
    items_in_words,
    render_markdown,
    split_rules,
)
from tiptiers.review import Translation
from tiptiers.store import publication as pubstore
from tiptiers.store.assessments import Assessment, AssessmentRating, assessment_determination, get_assessment
from tiptiers.store.placements import country_history
from tiptiers.store.publication import (
    ORIGINAL_LANGUAGE,
    NarrativeVersion,
    narrative_languages,
    narrative_versions,
    public_narrative,
    public_years,
)
from tiptiers.store.reviews import final_comment_translations, final_comments, published_claims
from tiptiers.store.texts import check_language
from tiptiers.tiers import Tier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimView:
    id: int
    statement: str
    state: str
    criteria: list[str]
    source: str
    source_url: str
    source_date: str
    original_statement: str | None
    # kind, text, language, author, at, file_name and file_url (or ""), translations (the office's: language, text,
    # translator, at)
    comments: list[dict[str, Any]]
    resolutions: list[str]


@dataclass(frozen=True)
class Correction:
    version: int
    at: datetime
    author: str
    note: str
    changes: list[tuple[str, str]]


@dataclass
class CountryYear:
    data: NarrativeData
    markdown: str
    html: str
    version: int  # 0: the generated text, never edited
    version_at: datetime | None
    claims: list[ClaimView] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    tier3_determination: dict[str, Any] | None = None  # the consequences of Tier 3 (22 U.S.C. 7107(d)), once recorded
    final_comments: list[dict[str, Any]] = field(default_factory=list)  # the government's, on the final report
    language: str = ORIGINAL_LANGUAGE  # the narrative's: the original English, or a translation
    languages: list[str] = field(default_factory=lambda: [ORIGINAL_LANGUAGE])  # the languages it has
    # A generated text (version 0) shown in a reader's language (web/i18n_texts.py narrative_in_language): that
    # language, and the heading of the law's rules in it; "" and the English heading otherwise.
    text_language: str = ""
    rules_heading: str = RULES_HEADING

    @property
    def tier(self) -> str | None:
        return self.data.tier

    @property
    def main_html(self) -> str:
        """The narrative without its rule listing (the page shows the listing folded: `rules_html`)."""
        return render_markdown(split_rules(self.markdown, self.rules_heading)[0])

    @property
    def rules_html(self) -> str:
        rules = split_rules(self.markdown, self.rules_heading)[1]
        return render_markdown(rules.split("\n", 1)[1]) if rules else ""


def methodology(year: int) -> Methodology | None:
    try:
        return methodology_for_year(year)
    except MethodologyError as exc:  # no methodology tree covers that year
        log.info("no methodology for %s: %s", year, exc)
        return None


def _rules(m: Methodology | None) -> list[RuleLine]:
    """The rules in force, each description in words: a rule it names by id ("consecutive_watch_list_years
    consecutive years") reads as that rule's value ("2 consecutive years")."""
    if m is None:
        return []
    values = {p.name: str(p.value) for p in m.parameters}
    named = re.compile(r"\b(" + "|".join(map(re.escape, sorted(values, key=len, reverse=True))) + r")\b")
    return [RuleLine(p.name, named.sub(lambda hit: values[hit.group(1)], p.description), str(p.value), p.reference)
            for p in m.parameters]


def item_titles(year: int) -> dict[str, str]:
    """Standard and criterion ids of the year's methodology -> their titles, for a person to read."""
    m = methodology(year)
    return {i.id: i.title for i in m.items} if m is not None else {}


def decisive_words(session: Session, year: int) -> dict[str, str]:
    """For each country assessed in `year`: the criteria that decided its tier, by title ("" none)."""
    titles = item_titles(year)
    query = (select(Assessment).where(Assessment.year == year)
             .options(selectinload(Assessment.ratings).selectinload(AssessmentRating.evidence)))
    out = {}
    for assessment in session.scalars(query):
        d = _determination(session, assessment) if assessment.ratings else None
        if d is not None and d.decisive_criteria:
            out[assessment.iso3] = "Decisive in the assessment: " + items_in_words(d.decisive_criteria, titles) + "."
    return out


def _determination(session: Session, assessment: Assessment) -> Determination | None:
    """The engine's Determination of the saved ratings (with waivers and overrides), as the review store makes it;
    None when the ratings are not enough for one (the narrative says so instead of failing)."""
    try:
        return assessment_determination(session, assessment)
    except ValueError as exc:
        log.info("no determination for %s %s: %s", assessment.iso3, assessment.year, exc)
        return None


def narrative_data(session: Session, iso3: str, year: int, public_at: datetime | None = None) -> NarrativeData:
    """With `public_at`, the placement history holds only the years public at that time (what the public may see):
    a published narrative never shows the tier of a year still under embargo."""
    country = country_table().get(iso3)
    name = country.name if country else iso3
    history = [(p.year, p.tier) for p in country_history(session, iso3)]
    if public_at is not None:
        shown = set(public_years(session, [y for y, _ in history], public_at))
        history = [(y, t) for y, t in history if y in shown]
    tier = dict(history).get(year)
    m = methodology(year)
    assessment = get_assessment(session, iso3, year)
    common: dict[str, Any] = {"iso3": iso3, "country": name, "year": year, "history": history,
                              "rules": _rules(m), "methodology": m.name if m else "",
                              "law_date": str(m.law_date) if m else ""}
    if assessment is None or not assessment.ratings:
        return NarrativeData(tier=tier, assessed=False, movement=movement_text(session, iso3, name, year, history),
                             record=record_lines(session, iso3, year), **common)
    titles = {i.id: i.title for i in m.items} if m is not None else {}
    ratings = [RatingLine(r.criterion, titles.get(r.criterion, r.criterion), r.level, r.note)
               for r in assessment.ratings]
    determination = _determination(session, assessment)
    if determination is not None:
        reasons = [ReasonLine(r.text, r.reference) for r in determination.reasons]
        tier = tier or determination.tier.value
    else:
        reasons = [ReasonLine(f"Placed in {tier or 'no tier'}; the engine could not determine a tier from the "
                              "ratings recorded.")]
    return NarrativeData(tier=tier, assessed=True, reasons=reasons, ratings=ratings, profile=assessment.narrative,
                         **common)


def record_lines(session: Session, iso3: str, year: int) -> list[str]:
    """What the record holds of a country-year besides its tier, in words: where the placement comes from, Cho's
    3P scores of that year, the diplomatic cables filed under that report year."""
    from tiptiers.store.cables import country_cables
    from tiptiers.store.models import Placement, ThreePScore

    lines = []
    placement = session.scalar(select(Placement).where(Placement.iso3 == iso3, Placement.year == year))
    if placement is not None and placement.source:
        how = {"listed": "the source lists it", "derived": "the report's words in another year state it"}.get(
            placement.method or "", "")
        lines.append(f"Source of the placement: {placement.source}" + (f" ({how})" if how else "") + ".")
    score = session.scalar(select(ThreePScore).where(ThreePScore.iso3 == iso3, ThreePScore.year == year))
    if score is not None:
        def p(v: int | None) -> str:
            return "not coded" if v is None else f"{v} of 5"
        total = f", total {score.total} of 15" if score.total is not None else ""
        lines.append(f"Cho's 3P index for {year}: prosecution {p(score.prosecution)}, protection "
                     f"{p(score.protection)}, prevention {p(score.prevention)}{total} (5 is best).")
    else:
        lines.append(f"Cho's 3P index has no scores for {year} (it covers 2000-2014).")
    cables = [c for c in country_cables(session, iso3) if c.report_year == year]
    if cables:
        lines.append(f"Diplomatic cables filed under the {year} report: " + "; ".join(
            f"[{c.reference_id}](/cables/{c.reference_id}){': ' + c.subject if c.subject else ''}" for c in cables)
            + ".")
    else:
        lines.append(f"No diplomatic cable in tiptiers is filed under the {year} report.")
    return lines


def movement_text(session: Session, iso3: str, name: str, year: int, history: list[tuple[int, str]]) -> str:
    """The movement from the year before and its reason: the automatic downgrade or its waiver (the audit with the
    coverage and the waivers on record), or the previous year's absence in words (not ranked, not in the sources)."""
    from tiptiers.engine.audit import audit_history
    from tiptiers.store.engine import placement_history, waiver_records
    from tiptiers.store.placements import year_coverage

    entries = placement_history(session, iso3, before=year + 1)
    events = {e.iso3: e for e in audit_history({iso3: entries}, waivers=waiver_records(session)) if e.year == year}
    rows = movements({iso3: dict(history)}, {iso3: name}, year, year_coverage(session, year - 1), events)
    if not rows:
        return ""
    m = rows[0]
    text = {
        "new": f"{name} was not ranked in {year - 1}: {year} is its first placement." if year > 2001 else "",
        "unknown": f"{name}'s placement in {year - 1} is not in the sources we have.",
        "same": f"Same tier as in {year - 1}.",
        "up": f"Up from {Tier(m.previous_tier or '1').label} in {year - 1}.",
        "down": f"Down from {Tier(m.previous_tier or '1').label} in {year - 1}.",
        "special": f"{m.previous_year} in {year - 1}.",
    }[m.movement]
    if m.automatic_downgrade or m.waiver or m.rule:
        text += " " + m.reason
    return text.strip()


def _published_file(comment: Any, state: str) -> dict[str, str]:
    """The government's file beside its comment, only where it allowed publication (the download route checks the
    same rule: store.publication.attachment_is_public)."""
    f = comment.attachment
    if f is None or not comment.attachment_public or state == "withdrawn":
        return {"file_name": "", "file_url": ""}
    return {"file_name": f.filename, "file_url": f"/api/v1/attachments/{f.sha256}"}


def translation_dicts(translations: Iterable[Translation]) -> list[dict[str, Any]]:
    """The office's translations of a government's text, as the published pages and their JSON carry them."""
    return [{"language": t.language, "text": t.text, "translator": t.translator,
             "at": t.at.isoformat(timespec="seconds"), "stale": t.stale} for t in translations]


def published_final_comments(session: Session, iso3: str, year: int) -> list[dict[str, Any]]:
    """The government's final comments, each in its language with the office's translations."""
    comments = final_comments(session, iso3, year)
    translated = final_comment_translations(session, comments)
    return [c.as_dict() | {"translations": translation_dicts(translated[c.id])} for c in comments]


def claim_views(session: Session, iso3: str, year: int) -> list[ClaimView]:
    views = []
    for c in published_claims(session, iso3, year):
        resolutions = [f"{d.resolution.outcome.value}: {d.resolution.reason}".strip(": ")
                       for d in c.disputes if d.resolution is not None]
        views.append(ClaimView(
            c.evidence_id, c.statement, c.state.value, list(c.criteria), c.source_name, c.source_url,
            str(c.source_date or ""), c.original_statement,
            [{"kind": k.kind.value, "text": k.text, "language": k.language, "author": k.author,
              "at": k.at.strftime("%Y-%m-%d"), **_published_file(k, c.state.value),
              "translations": translation_dicts(k.translations)} for k in c.comments if k.text.strip()],
            resolutions))
    return views


def _corrections(frozen: NarrativeVersion | None, generated: str,
                 corrections: list[NarrativeVersion]) -> list[Correction]:
    out = []
    before = frozen.markdown if frozen else generated
    for v in corrections:
        out.append(Correction(v.version, v.created_at, v.author, v.note, diff_lines(before, v.markdown)))
        before = v.markdown
    return out


def country_year(session: Session, iso3: str, year: int, *, now: datetime | None = None,
                 draft: bool = False, language: str = ORIGINAL_LANGUAGE) -> CountryYear | None:
    """The public narrative (None while the year is under embargo, or without a version in `language`), or with
    `draft` the latest version (of a translation not begun yet: the English text to translate, as version 0).

    `language` other than English is a translation of the narrative (`languages` lists those it has); the
    government's words stay in the language they were written in whatever the narrative's."""
    try:
        language = check_language("language", language)
    except ValueError as exc:
        raise pubstore.PublicationError(str(exc)) from None
    data = narrative_data(session, iso3, year, public_at=None if draft else now or pubstore.utcnow())
    generated = generate_markdown(data)
    if draft:
        versions = narrative_versions(session, iso3, year, language)
        if not versions and language != ORIGINAL_LANGUAGE:
            english = narrative_versions(session, iso3, year)
            generated = english[-1].markdown if english else generated
        current = versions[-1] if versions else None
        corrections: list[Correction] = []
    else:
        public = public_narrative(session, iso3, year, now, language)
        if public is None:
            return None
        current = public.current
        corrections = _corrections(public.frozen, generated, public.corrections)
    markdown = current.markdown if current else generated
    return CountryYear(data, markdown, render_markdown(markdown), current.version if current else 0,
                       current.created_at if current else None, claim_views(session, iso3, year), corrections,
                       tier3_determination(session, iso3, year), published_final_comments(session, iso3, year),
                       language, narrative_languages(session, iso3, year))


def tier3_determination(session: Session, iso3: str, year: int) -> dict[str, Any] | None:
    from tiptiers.store import cycle

    found = cycle.determinations(session, year, iso3)
    return found[0].as_dict(cycle.tier3_window(session, year)) if found else None
