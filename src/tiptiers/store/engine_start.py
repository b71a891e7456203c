"""Where a country-year's determination starts: the stored assessment's ratings when there is one (and the reader
may see drafts), else illustrative ratings that reproduce the published tier. Shared by the determination page, its
JSON twin and `tiptiers assess --country --year`. Reads only; every name says which ratings are shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.orm import Session

from tiptiers.engine import AssessmentInput, HistoryEntry, Override, Rating, RatingLevel, Waiver
from tiptiers.engine.profiles import illustrative_assessment
from tiptiers.methodology import methodology_for_year
from tiptiers.store.assessments import get_assessment, rating_views
from tiptiers.store.engine import get_override, list_waivers, placement_history
from tiptiers.store.placements import country_history
from tiptiers.tiers import Tier

ILLUSTRATIVE = "illustrative"
ASSESSMENT = "assessment"


@dataclass(frozen=True)
class FlaggedRating:
    """A stored rating that rests on weak evidence (rating_views' flag): only unverified, only withdrawn, or none."""

    criterion: str
    code: str  # no_evidence | withdrawn_only | unverified_only
    text: str


@dataclass(frozen=True)
class StartingPoint:
    assessment: AssessmentInput
    source: str  # ASSESSMENT or ILLUSTRATIVE
    note: str  # one sentence saying which ratings are shown, and why
    placement: Tier | None
    history: list[HistoryEntry]
    waivers: list[Waiver]
    override: Override | None
    flags: list[FlaggedRating] = field(default_factory=list)


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return message if not where or message.startswith(where) else f"{where}: {message}"


def starting_point(session: Session, iso3: str, year: int, drafts_visible: bool = True) -> StartingPoint:
    """The ratings, history and records a determination of `iso3` in `year` starts from.

    `drafts_visible`: whether the reader may see this country's draft (web: can_see_country_draft); when not, a
    stored assessment is not used (nor mentioned)."""
    placed = {p.year: Tier(p.tier) for p in country_history(session, iso3)}
    history = placement_history(session, iso3, before=year)
    waivers, override = list_waivers(session, year=year, iso3=iso3), get_override(session, iso3, year)

    def point(assessment: AssessmentInput, source: str, note: str, flags: list[FlaggedRating]) -> StartingPoint:
        return StartingPoint(assessment=assessment, source=source, note=note, placement=placed.get(year),
                             history=history, waivers=waivers, override=override, flags=flags)

    stored = get_assessment(session, iso3, year) if drafts_visible else None
    problem = ""
    if stored is not None:
        try:
            assessment = AssessmentInput(
                iso3=iso3, year=year, **(stored.signals or {}),
                ratings=[Rating(criterion=r.criterion, level=RatingLevel(r.level),
                                evidence=[str(e.id) for e in r.evidence], note=r.note) for r in stored.ratings])
        except ValidationError as exc:
            problem = _validation_message(exc)
        else:
            flags = [FlaggedRating(v.criterion, v.flag.code, v.flag.text) for v in rating_views(stored) if v.flag]
            when = stored.updated_at.strftime("%Y-%m-%d %H:%M")
            note = (f"The ratings are the stored assessment of {iso3} {year} (draft, last saved by "
                    f"{stored.updated_by} on {when} UTC)"
                    + (f"; {len(flags)} of them rest on weak evidence and are flagged." if flags else "."))
            return point(assessment, ASSESSMENT, note, flags)
    note = ("The ratings are illustrative: the plainest ratings under which the rules give the published tier, not "
            "an assessment of the government.")
    if problem:
        note += f" The stored assessment of {iso3} {year} cannot be determined yet ({problem})."
    return point(illustrative_assessment(iso3, year, placed.get(year), methodology_for_year(year)), ILLUSTRATIVE,
                 note, [])
