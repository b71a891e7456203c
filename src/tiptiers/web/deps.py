"""What the route modules share, so that they import this module and never each other: the request's database
session, the template environment, report years and the embargo, the store's errors as HTTP answers, and the models
and helpers more than one router answers with (an attachment, a country's timeline).

Report years and the embargo, once for every route (a test enumerates the app's routes and fails for one that takes a
year or serves report data another way):
- a year in a path or a query is declared as `ReportYear` (drafts, behind a role check), `VisibleYear` (what this
  visitor may see: every year for staff, published ones for anyone else), `PublishedYear` (published pages, the
  same for everyone) or `PlannedYear` (the law's calendar, up to ten years ahead), or in a query as
  `ReportYearQuery`; each accepts only the canonical spelling (`2008`, never
  `02008`, `+2008`, `2008 ` or `2008.0`) and answers a year it may not show exactly as one that does not exist;
- a route that lists years or shows several takes `Visible` (a `Visibility`) and passes them through
  `visible.years(...)` or `visible.published_years(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Hashable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cached_property
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from tiptiers.countries import Country, country_table
from tiptiers.publish import palette
from tiptiers.report_years import check_planned_year, check_report_year, parse_year
from tiptiers.sources.reactions import reaction_labels
from tiptiers.store import publication as pubstore
from tiptiers.store import texts
from tiptiers.store.assessments import EditConflict
from tiptiers.store.cables import timeline_page
from tiptiers.store.checks import EvidenceError, NotFound
from tiptiers.store.placements import country_history, report_years
from tiptiers.store.users import STAFF_ROLES, User
from tiptiers.tiers import TIER_LABELS, Tier
from tiptiers.web import i18n, i18n_texts
from tiptiers.web.i18n import N_
from tiptiers.web.i18n_texts import engine_text, flag_text

if TYPE_CHECKING:
    from tiptiers.web.changes import Changes

T = TypeVar("T")

templates = Jinja2Templates(directory=FilePath(__file__).parent / "templates")
i18n.install(templates.env)
templates.env.globals["tier_label"] = lambda value: i18n.gettext(Tier(value).label)


class _TierLabels(dict[str, str]):
    """TIER_LABELS of the templates: each label in the request's language when read."""

    def __getitem__(self, key: str) -> str:
        return i18n.gettext(super().__getitem__(key))


templates.env.globals["TIER_LABELS"] = _TierLabels({t.value: label for t, label in TIER_LABELS.items()})
templates.env.globals["reaction_label"] = lambda code: reaction_labels().get(code.lower(), code)
templates.env.globals["palette_defs"] = palette.svg_defs()  # the tier patterns every inline chart refers to
templates.env.globals["tier_fill"] = lambda tier: palette.pattern_fill(palette.TIER_SWATCHES[Tier(tier)])
templates.env.globals["swatch"] = lambda tier: Markup(palette.swatch_svg(palette.TIER_SWATCHES[Tier(tier)]))
templates.env.globals["state_swatch"] = lambda key: Markup(palette.swatch_svg(palette.STATE_SWATCHES[key]))
ROLE_LABELS = {"admin": N_("administrator"), "analyst": N_("analyst"), "reviewer": N_("reviewer"),
               "liaison": N_("government liaison"), "ngo": N_("NGO")}
templates.env.globals["role_label"] = lambda role: i18n.gettext(ROLE_LABELS[role]) if role in ROLE_LABELS else role
# the languages of what people write (templates/_user_text.html)
templates.env.globals["language_name"] = i18n.language_name
templates.env.globals["common_languages"] = i18n.common_languages
templates.env.globals["common_language_codes"] = lambda: {code for code, _ in texts.common_languages()}


# Words of the stored values a page shows. English keeps showing what it always has; the other languages read these.
LEVEL_LABELS = {words.replace(" ", "_"): label for words, label in i18n_texts.LEVELS.items()}  # stored: not_met
SIGNAL_LABELS = {"increasing_efforts_shown": N_("increasing efforts shown"),
                 "concrete_actions": N_("concrete actions"),
                 "victims_significant_or_increasing": N_("victims significant or increasing"),
                 "proportional_action": N_("proportional action")}
CLAIM_STATES = {"unverified": N_("unverified"), "corroborated": N_("corroborated"),
                "confirmed_by_government": N_("confirmed by government"),
                "disputed_by_government": N_("disputed by government"), "withdrawn": N_("withdrawn")}
COMMENT_KINDS = {"confirm": N_("confirm"), "dispute": N_("dispute"), "comment": N_("comment")}
SOURCE_TYPES = {"government": N_("government"), "ngo": N_("NGO"), "international_organisation":
                N_("international organisation"), "media": N_("media"), "embassy_reporting": N_("embassy reporting"),
                "court_record": N_("court record"), "academic": N_("academic")}


def _words(table: dict[str, str], english: Callable[[str], str] | None = None) -> Callable[[str], str]:
    """A stored value in words: the table's, translated; `english`: what English shows instead (as it always has)."""
    def words(value: str) -> str:
        if english is not None and i18n.current() == i18n.DEFAULT:
            return english(value)
        return i18n.gettext(table[value]) if value in table else value.replace("_", " ")

    return words


templates.env.globals["level_label"] = _words(LEVEL_LABELS)
templates.env.filters["engine_text"] = engine_text  # the engine's reasons and notes in the language
templates.env.globals["flag_text"] = flag_text
for _name in ("windows_text", "step_title", "step_description", "step_summary", "step_reference", "step_uncertain",
              "calendar_warning",  # the calendar's
              "script_words", "ratings_note",  # the words of the pages' scripts; the what-if's ratings
              "movement_reason", "previous_year_words",  # the movements'
              "blocking_reason", "error_detail", "form_error"):  # what blocks publication; the error page, forms
    templates.env.globals[_name] = getattr(i18n_texts, _name)
templates.env.filters["blocking_reason"] = i18n_texts.blocking_reason
templates.env.globals["signal_label"] = _words(SIGNAL_LABELS)
templates.env.globals["claim_state_words"] = _words(CLAIM_STATES)
templates.env.globals["claim_state"] = _words(CLAIM_STATES, english=str)  # the narrative's English shows the code
templates.env.globals["comment_kind"] = _words(COMMENT_KINDS)
templates.env.globals["source_type"] = _words(SOURCE_TYPES, english=lambda v: v.replace("_", " "))


def country_name(iso3: str | None, english: str | None = None) -> str:
    """A country's name for a person to read, in the request's language (the code itself when the table does not
    know it). `english`: the name the page has in English (the report's name at the time, Macedonia in 2008), shown
    as it is in English; the other languages have one short name per code."""
    found = country_table().get(iso3 or "")
    if found is None:
        return english or iso3 or ""
    return i18n.country_name_in(found.iso3, english or found.name)


def countries_by_name() -> list[Country]:
    """Every country of the table, alphabetical by its name in the request's language (a form's list)."""
    return sorted(country_table(), key=lambda c: i18n.collation_key(i18n.country_name_in(c.iso3, c.name)))


templates.env.globals["country_name"] = country_name


def item_title(item_id: str, year: int) -> str:
    """A standard or criterion for a person to read ("Criterion 6: ..."), never its id (the id only where the
    methodology of the year does not know it)."""
    from tiptiers.methodology import MethodologyError, methodology_for_year

    try:
        item = methodology_for_year(year).item(item_id)
    except MethodologyError:
        item = None
    if item is None:
        return item_id
    kind = i18n.gettext("Standard") if item.kind == "standard" else i18n.gettext("Criterion")
    return f"{kind} {item.number}: {i18n.gettext(item.title)}"


templates.env.globals["item_title"] = item_title


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def country_or_404(iso3: str) -> Country:
    country = country_table().get(iso3.upper())
    if country is None:
        raise HTTPException(404, f"unknown country {iso3!r}; use an ISO 3166-1 alpha-3 code such as JPN")
    return country


# --- the embargo -------------------------------------------------------------------------------------------------


def publish_now(request: Request) -> datetime:
    """The clock the embargo is checked against: now, or the publication time a static export renders at."""
    override = getattr(request.app.state, "publish_now", None)
    return override if isinstance(override, datetime) else pubstore.utcnow()


def _span(years: list[int]) -> str:
    return f"{years[0]}-{years[-1]}" if years else "none"


class Visibility:
    """What one visitor may see of the report years, now: staff (admin, analyst, reviewer) every year, anyone else
    (a liaison, an NGO, the public) the published ones. The publication schedule is read once per request."""

    def __init__(self, session: Session, user: User | None, now: datetime,
                 schedule: Callable[[Session], pubstore.Schedule] = pubstore.schedule, changes: Changes | None = None):
        self.session = session
        self.user = user
        self.now = now
        self._read_schedule = schedule  # the app's (kept per process, refreshed from the activity log: web/changes.py)
        self._changes = changes

    def published(self, key: tuple[Hashable, ...], compute: Callable[[], T], reads: Iterable[int]) -> T:
        """`compute()` of the data of the report years `reads`, kept by the app until a change a published page may
        show (web/changes.py `remembered`), when every one of them is published: a change to a year under embargo
        is not followed, so what reads one is computed afresh. `key` names the other inputs; the published years
        are added to it (the history a page shows grows with them)."""
        if self._changes is None or not all(self.is_published(y) for y in reads):
            return compute()
        shown = tuple(self.published_years(report_years(self.session)))
        return self._changes.remembered((*key, shown), compute)

    @property
    def staff(self) -> bool:
        return self.user is not None and self.user.active and self.user.role in STAFF_ROLES

    @cached_property
    def _schedule(self) -> pubstore.Schedule:
        return self._read_schedule(self.session)

    def is_published(self, year: int) -> bool:
        return self._schedule.is_public(year, self.now)

    def may_see(self, year: int) -> bool:
        return self.staff or self.is_published(year)

    def years(self, years: Iterable[int]) -> list[int]:
        """The given years this visitor may see, in order."""
        return sorted(y for y in set(years) if self.may_see(y))

    def published_years(self, years: Iterable[int]) -> list[int]:
        """The given years that are published, in order (published pages show these, to staff too)."""
        return self._schedule.public_years(years, self.now)

    def known_years(self, published_only: bool = False) -> str:
        """The years with placements this visitor may see, for a message: never an embargoed one."""
        stored = report_years(self.session)
        shown = self.published_years(stored) if published_only or not self.staff else self.years(stored)
        return f"{'published years' if published_only or not self.staff else 'report years'}: {_span(shown)}"

    def year(self, year: int, published_only: bool = False) -> int:
        """The year, if it is a report year this visitor may see (or, `published_only`, a published one); otherwise
        the 404 of a year that does not exist, naming only years the visitor may see."""
        try:
            check_report_year(year)
            visible = self.is_published(year) if published_only else self.may_see(year)
        except ValueError:
            visible = False
        if not visible:
            raise HTTPException(404, f"year: no {'published ' if published_only or not self.staff else ''}report "
                                     f"for {year} ({self.known_years(published_only)})")
        return year


def _optional_user(request: Request) -> User | None:
    from tiptiers.web.auth import optional_user  # auth's templates come from this module

    return optional_user(request)


def visibility(request: Request, session: SessionDep,
               user: Annotated[User | None, Depends(_optional_user)]) -> Visibility:
    changes = getattr(request.app.state, "changes", None)
    return Visibility(session, user, publish_now(request), changes.schedule if changes else pubstore.schedule,
                      changes)


Visible = Annotated[Visibility, Depends(visibility)]

_YEAR_DOC = "Report year, four digits, e.g. 2008"
YearText = Annotated[str, Path(description=_YEAR_DOC, examples=["2008"], json_schema_extra={"pattern": r"^\d{4}$"})]


def _spelled(year: str) -> int:
    try:
        return parse_year(year)
    except ValueError as exc:
        raise HTTPException(404, f"year: {exc}") from None


def report_year(year: YearText) -> int:
    """A year in the path of a route for drafts (which checks the role itself): canonical, within the report
    years (2001 to next year); otherwise 404."""
    value = _spelled(year)
    try:
        return check_report_year(value)
    except ValueError as exc:
        raise HTTPException(404, f"year: {exc}") from None


def planned_year(year: YearText) -> int:
    """A year in the path of the law's calendar: canonical, from 2001 up to ten years ahead (no records needed)."""
    value = _spelled(year)
    try:
        return check_planned_year(value)
    except ValueError as exc:
        raise HTTPException(404, f"year: {exc}") from None


def visible_year(year: YearText, visible: Visible) -> int:
    return visible.year(_spelled(year))


def published_year(year: YearText, visible: Visible) -> int:
    return visible.year(_spelled(year), published_only=True)


def report_year_query(year: Annotated[str | None, Query(description=_YEAR_DOC + "; empty: every year",
                                                        examples=["2008"])] = None) -> int | None:
    """A year in a query (a filter): canonical and within the report years, else 422 naming `year`; empty or
    absent: None."""
    if year is None or year == "":
        return None
    try:
        return check_report_year(parse_year(year))
    except ValueError as exc:
        raise HTTPException(422, f"year: {exc}") from None


ReportYear = Annotated[int, Depends(report_year)]
PlannedYear = Annotated[int, Depends(planned_year)]
VisibleYear = Annotated[int, Depends(visible_year)]
PublishedYear = Annotated[int, Depends(published_year)]
ReportYearQuery = Annotated[int | None, Depends(report_year_query)]
YEAR_DEPENDENCIES = (report_year, planned_year, visible_year, published_year, report_year_query)


# --- errors ------------------------------------------------------------------------------------------------------


def field_message(errors: Any) -> str:
    """Validation errors as one line naming each field (`limit: Input should be ...`)."""
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        where = ".".join(loc)
        parts.append(msg if not where or msg.startswith(where) else f"{where}: {msg}")
    return "; ".join(parts) or "invalid request"


class FieldErrors(APIRoute):
    """A router's `route_class`: request validation errors become the app's JSON error, a 422 naming the field."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def named(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise HTTPException(422, field_message(exc.errors())) from None

        return named


@contextmanager
def store_errors() -> Iterator[None]:
    """The review season's store errors as HTTP answers: a missing record 404, bad input 422 naming the field,
    a save over someone else's newer version 409."""
    try:
        yield
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except EvidenceError as exc:
        raise HTTPException(422, str(exc)) from None
    except EditConflict as exc:
        raise HTTPException(409, str(exc)) from None


# --- models and helpers of more than one router ------------------------------------------------------------------


class AttachmentOut(BaseModel):
    sha256: str
    filename: str
    media_type: str
    size: int


class TimelineEvent(BaseModel):
    kind: str  # placement | cable
    year: int | None  # the report year it belongs to
    date: date | None
    title: str
    tier: Tier | None = None
    reactions: list[str] = []
    url: str


class TimelineOut(BaseModel):
    iso3: str
    name: str
    events: list[TimelineEvent]
    cables_total: int = 0  # the country's cables; the events hold the latest TIMELINE_CABLES of them
    cables_url: str = ""  # all of them, paged and filtered


TIMELINE_CABLES = 50


def country_timeline(session: Session, iso3: str, visible: Visibility) -> TimelineOut:
    """Placements (those of published years only, unless staff) and cables of a country, by report year: the
    timeline of the cables API and of the country page."""
    country = country_or_404(iso3)
    history = country_history(session, country.iso3)
    shown = visible.years([p.year for p in history])
    events = [TimelineEvent(kind="placement", year=p.year, date=None, title=f"TIP Report {p.year}: "
                            f"{Tier(p.tier).label}", tier=Tier(p.tier), url=f"/years/{p.year}")
              for p in history if p.year in shown]
    cables = timeline_page(session, country.iso3, limit=TIMELINE_CABLES, newest_first=True)
    events += [TimelineEvent(kind="cable", year=c.report_year, date=c.sent_at.date() if c.sent_at else None,
                             title=f"{c.reference_id}: {c.subject or ''}".strip(), reactions=list(c.reactions),
                             url=f"/cables/{c.reference_id}")
               for c in cables.cables]
    events.sort(key=lambda e: (e.year or 0, e.kind != "placement", e.date or date.min))
    return TimelineOut(iso3=country.iso3, name=country.name, events=events, cables_total=cables.total,
                       cables_url=f"/countries/{country.iso3}/cables")


def absent_years(session: Session, iso3: str, placed: Iterable[int], years: Iterable[int]) -> dict[int, str]:
    """Each of `years` after a country's first placement in which it has none, and why: `not_ranked` (the year is
    complete) or `not_in_sources` (a list of the year is missing), from each year's coverage: what a chart of its
    history marks, rather than a silent gap."""
    from tiptiers.coverage import unknown_year
    from tiptiers.store.placements import all_coverage

    placed = set(placed)
    if not placed:
        return {}
    coverage = all_coverage(session)
    return {y: (coverage.get(y) or unknown_year(y)).presence(iso3, None).value
            for y in sorted(set(years)) if y > min(placed) and y not in placed}
