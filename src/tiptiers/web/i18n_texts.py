"""The texts the core writes into pages, in the interface's language: the engine's sentences (why a tier, step by
step; the note on the way up), a rating's flags (by code), the calendar's steps (a reply step by its key, a law
step by its YAML title and description), their status and the reply windows' lengths, the movements' reasons,
and how complete a year's record is (coverage).

The engine (pure core) writes its reasons in English and imports nothing of the web: its English is what the JSON
API, the CLI and the English pages show, byte for byte. Here, in the web layer, each sentence the engine can write
is a message with named parameters (`%(years)s`); a sentence is recognised by its message (the message with each
parameter read as any text), its parameters are put into the language in turn (numbered lists, rating levels,
tiers, years), and the translated message is filled with them. A sentence no message matches (the engine grew a
new one) shows in English: tests/test_i18n_web.py checks that every reason of the engine's test cases is matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from tiptiers.coverage import YearCoverage
from tiptiers.engine.calendar import Calendar, Step
from tiptiers.review.windows import ReplyWindows, Span
from tiptiers.tiers import TIER_LABELS, TIER_ORDER, Tier
from tiptiers.web import i18n
from tiptiers.web.i18n import N_

if TYPE_CHECKING:
    from starlette.types import Scope

    from tiptiers.publish.narrative import NarrativeData, RuleLine
    from tiptiers.publish.report import CountryYear

LEVELS = {"not met": N_("not met"), "partial": N_("partial"), "substantial": N_("substantial"), "full": N_("full")}

# The engine's sentences (tiptiers/engine/determine.py), as it writes them. %(level)s is the level's adverb in
# English ("fully", "substantially"): the translation shows the level's name instead.
REASONS = (
    N_("All %(count)s minimum standards %(level)s met: the government fully complies with the minimum standards, "
       "Tier 1."),
    N_("Minimum %(standards)s not %(level)s met: the government does not fully comply with the minimum standards."),
    N_("%(core)s, %(meeting)s of %(total)s criteria at least %(level)s met (%(needed)s needed): significant efforts, "
       "Tier 2."),
    N_("%(core)s, %(meeting)s of %(total)s criteria at least %(level)s met (%(needed)s needed): no significant "
       "efforts, Tier 3."),
    N_("The estimated number of victims is very significant or significantly increasing and the government is not "
       "taking proportional concrete actions: Watch List."),
    N_("The number of victims is very significant or significantly increasing: Watch List."),
    N_("No evidence of increasing efforts over %(year)s: Watch List."),
    N_("Significant efforts rest on commitments to take future steps, not on concrete actions: Watch List."),
    N_("Downgraded to Tier 3 and then on the Watch List in %(years)s: at most %(count)s consecutive Watch List year "
       "after a downgrade; Tier 3, no waiver possible."),
    N_("Watch List in %(years)s: this would be Watch List year %(number)s and the %(count)s waiver years allowed are "
       "used; automatic downgrade to Tier 3."),
    N_("Watch List in %(years)s: automatic downgrade to Tier 3 unless waived (waiver year %(number)s of %(count)s "
       "allowed); no waiver: Tier 3."),
    N_("Watch List in %(years)s: automatic downgrade to Tier 3 unless waived (waiver year %(number)s of %(count)s "
       "allowed); waived: %(justification)s. Stays on the Watch List."),
    N_("Watch List years counted: %(years)s; cannot tell: %(year)s not in the sources, and the Watch List streak may "
       "be longer: this would be Watch List year %(number)s at least. The rule is applied to the years on record; "
       "check the missing year before relying on it."),
    N_("Overridden to %(tier)s by %(author)s: %(justification)s"),
    # the notes on the way up (PathUp.note)
    N_("Clear every Watch List test."),
    N_("Clear every Watch List test. The waiver would no longer be needed."),
    N_("A presidential waiver of the automatic downgrade (22 U.S.C. 7107(b)(2)(D)(ii)), or clear every Watch List "
       "test for Tier 2."),
    N_("No waiver is left: only clearing every Watch List test avoids Tier 3."),
    N_("Significant efforts: Tier 2."),
    N_("Significant efforts, but the automatic downgrade closes the Watch List: clear every Watch List test too."),
    N_("Significant efforts, but the Watch List tests still hold: Tier 2 Watch List."),
    N_("Significant efforts, but the Watch List tests still hold: Tier 2 Watch List with a waiver of the automatic "
       "downgrade."),
)

# The parts of the efforts sentence: the core criteria, met or not.
CORE_MET = N_("Core %(criteria)s at least %(level)s met")
CORE_SHORT = N_("Core %(criteria)s below %(level)s")

_PARAM = re.compile(r"%\((\w+)\)s")
_NUMBER = r"\d+"
_KINDS = {  # what a parameter can be, where it is not any text
    "level": "not met|partial|substantial|full",
    "count": _NUMBER, "meeting": _NUMBER, "total": _NUMBER, "needed": _NUMBER, "number": _NUMBER, "year": _NUMBER,
    "years": r"no earlier year|\d+(?:, \d+)*"}


def _pattern(message: str) -> re.Pattern[str]:
    parts, end = [], 0
    for found in _PARAM.finditer(message):
        parts.append(re.escape(message[end:found.start()]))
        name = found.group(1)
        parts.append(f"(?P<{name}>{_KINDS.get(name, '.+?')})")
        if name == "level":  # as an adverb: "full" + "y", "substantial" + "ly"; "below substantial"
            parts.append("(?:l?y)?")
        end = found.end()
    parts.append(re.escape(message[end:]))
    return re.compile("".join(parts), re.S)


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((m, _pattern(m)) for m in REASONS)


@cache
def _core_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((m, _pattern(m)) for m in (CORE_MET, CORE_SHORT))


def _numbered(text: str) -> str:
    """'standards 1, 2 and 4', 'criterion 3', 'no criterion' in the language."""
    found = re.fullmatch(r"(standards?|criterion|criteria) ([\d, ]+?)(?: and (\d+))?", text)
    if text in ("no standard", "no criterion"):
        return i18n.gettext(N_("no standard") if text == "no standard" else N_("no criterion"))
    if not found:
        return text
    noun, head, last = found.groups()
    numbers = [n.strip() for n in head.split(",") if n.strip()] + ([last] if last else [])
    listed = numbers[0] if len(numbers) == 1 else i18n.gettext(N_("%(items)s and %(last)s")) % {
        "items": ", ".join(numbers[:-1]), "last": numbers[-1]}
    if noun.startswith("standard"):
        return i18n.ngettext("standard %(numbers)s", "standards %(numbers)s", len(numbers)) % {"numbers": listed}
    return i18n.ngettext("criterion %(numbers)s", "criteria %(numbers)s", len(numbers)) % {"numbers": listed}


def _years(text: str) -> str:
    return i18n.gettext(N_("no earlier year")) if text == "no earlier year" else text


def _tier(text: str) -> str:
    return i18n.gettext(text) if text in TIER_LABELS.values() else text


def _core(text: str) -> str:
    for message, pattern in _core_patterns():
        found = pattern.fullmatch(text)
        if found:
            return _fill(message, found.groupdict())
    return text


_CONVERT: dict[str, Callable[[str], str]] = {
    "level": lambda v: i18n.gettext(LEVELS[v]), "standards": _numbered, "criteria": _numbered, "years": _years,
    "tier": _tier, "core": _core}


def _fill(message: str, params: dict[str, str]) -> str:
    return i18n.gettext(message) % {name: _CONVERT.get(name, str)(value) for name, value in params.items()}


def _translate(text: str, patterns: tuple[tuple[str, re.Pattern[str]], ...]) -> str:
    """`text` in the request's language if one of `patterns` (message, its pattern) matches it; else as it is."""
    if i18n.current() == i18n.DEFAULT or not text:
        return text
    for message, pattern in patterns:
        found = pattern.fullmatch(text)
        if found:
            return _fill(message, found.groupdict())
    return text


def engine_text(text: str) -> str:
    """One of the engine's sentences in the request's language (as it is in English, or if not recognised)."""
    return _translate(text, _patterns())


def recognised(text: str) -> bool:
    """Whether a sentence of the engine is one of the messages here (the tests' check that none is left English)."""
    return any(pattern.fullmatch(text) for _m, pattern in _patterns())


# The flags on a rating (tiptiers/review/model.py rating_flag), by their code.
FLAGS = {"no_evidence": N_("cites no evidence"), "withdrawn_only": N_("rests only on withdrawn evidence"),
         "unverified_only": N_("rests only on unverified evidence (none corroborated or confirmed by the "
                               "government)")}


def flag_text(code: str, text: str) -> str:
    """A rating's flag in the request's language (English: its text as the review model wrote it)."""
    if i18n.current() == i18n.DEFAULT or code not in FLAGS:
        return text
    return i18n.gettext(FLAGS[code])


# --- the calendar (tiptiers/engine/calendar.py): the reply steps by their key, the law's steps by their YAML ----


def span_text(span: Span) -> str:
    """A reply window's length ("4 weeks", "2 months") in the request's language."""
    if i18n.current() == i18n.DEFAULT:
        return str(span)
    if span.months and not span.days:
        return i18n.ngettext("%(num)s month", "%(num)s months", span.months) % {"num": span.months}
    if not span.months and span.days % 7 == 0 and span.days:
        weeks = span.days // 7
        return i18n.ngettext("%(num)s week", "%(num)s weeks", weeks) % {"num": weeks}
    days = i18n.ngettext("%(num)s day", "%(num)s days", span.days) % {"num": span.days}
    if not span.months:
        return days
    months = i18n.ngettext("%(num)s month", "%(num)s months", span.months) % {"num": span.months}
    return f"{months} {days}"


def windows_text(windows: ReplyWindows) -> str:
    """ReplyWindows.describe() in the request's language."""
    if i18n.current() == i18n.DEFAULT:
        return windows.describe()
    return i18n.gettext(N_("%(name)s: %(draft)s for comments on the draft, %(final)s for final comments "
                           "(%(resolution)s to resolve disputes, %(publication)s before the report is due)")) % {
        "name": windows.name, "draft": span_text(windows.draft), "final": span_text(windows.final),
        "resolution": span_text(windows.resolution), "publication": span_text(windows.publication)}


# The reply steps: (title, description) as compute_calendar writes them; %(window)s is the window's length.
REPLY_STEPS = {
    "draft_sent": (N_("Draft sent to governments (latest day)"),
                   N_("The draft (claims, ratings, tier, narrative) goes to each government's liaison for comments."),
                   None),
    "draft_comments_due": (N_("Comments on the draft due"),
                           N_("The government has %(window)s to confirm, dispute or comment on each claim of the "
                              "draft."), "draft"),
    "final_sent": (N_("Final report sent to governments"),
                   N_("The final report (the resolved claims, the tier, the narrative) goes to each government; "
                      "analysts have %(window)s to resolve the disputes first."), "resolution"),
    "final_comments_due": (N_("Final comments due"),
                           N_("The government has %(window)s for final comments, which are published with the "
                              "report."), "final"),
}


def reply_description(key: str, windows: ReplyWindows, words: Callable[[str], str] = i18n.gettext,
                      span: Callable[[Span], str] = span_text) -> str:
    """A reply step's description (`words=str, span=str`: the English the calendar writes, which the tests
    compare)."""
    _title, description, window = REPLY_STEPS[key]
    text = words(description)
    return text % {"window": span(getattr(windows, window))} if window else text


def step_title(step: Step) -> str:
    if i18n.current() == i18n.DEFAULT:
        return step.title
    if step.key in REPLY_STEPS:
        return i18n.gettext(REPLY_STEPS[step.key][0])
    return i18n.gettext(step.title)  # the YAML's title (babel.cfg extracts it)


_WAIVER_LIMIT = re.compile(r" The automatic downgrade may be waived at most (\d+) consecutive years?\.")


def step_description(step: Step, calendar: Calendar) -> str:
    """A step's description in the request's language: a reply step's by its key, a law step's from the YAML's
    description (the waiver step's limit, which the calendar adds to it, in its own sentence)."""
    if i18n.current() == i18n.DEFAULT:
        return step.description
    if step.key in REPLY_STEPS:
        return reply_description(step.key, calendar.windows)
    text, extra = step.description, ""
    found = _WAIVER_LIMIT.search(text)
    if found and found.end() == len(text):
        text = text[:found.start()]
        most = int(found.group(1))
        extra = " " + i18n.ngettext("The automatic downgrade may be waived at most %(num)s consecutive year.",
                                    "The automatic downgrade may be waived at most %(num)s consecutive years.",
                                    most) % {"num": most}
    return i18n.gettext(text) + extra


def step_summary(step: Step) -> str:
    """Step.summary in the request's language ("fait le 29 sept. 2025, 91 jours de retard")."""
    if i18n.current() == i18n.DEFAULT:
        return step.summary
    late = i18n.ngettext("%(num)s day late", "%(num)s days late", step.days_late) % {"num": step.days_late}
    done = i18n.format_date(step.done_on)
    if step.status == "done":
        return i18n.gettext(N_("done %(date)s")) % {"date": done}
    if step.status == "late":
        return i18n.gettext(N_("done %(date)s, %(late)s")) % {"date": done, "late": late}
    if step.status == "overdue":
        return i18n.gettext(N_("not done, %(late)s")) % {"late": late}
    if step.status == "early":
        return i18n.gettext(N_("done %(date)s, before the window opened")) % {"date": done}
    return i18n.gettext(STATUSES[step.status])


STATUSES = {"open": N_("open now"), "ended": N_("ended"), "upcoming": N_("upcoming"),
            "unrecorded": N_("no record of it here")}


# --- movements (tiptiers/publish/movements.py): the reason of a country's move, and the year before in words ---

MOVEMENT_REASONS = (
    N_("Tier 3 by the automatic downgrade: %(duration)s on the Watch List (%(span)s) after an earlier automatic "
       "downgrade, the most the law allows (22 U.S.C. 7107(b)(2)(D)(iv))."),
    N_("Tier 3 by the automatic downgrade, after %(duration)s in a row on the Watch List (%(span)s): the law allows "
       "no more (22 U.S.C. 7107(b)(2)(D))."),
    N_("Tier 3 by the automatic downgrade, after %(duration)s in a row on the Watch List (%(span)s), after waivers "
       "in %(years)s: the law allows no more (22 U.S.C. 7107(b)(2)(D))."),
    N_("Kept on the Watch List by a waiver of the automatic downgrade (Watch List year %(number)s in a row)."),
    N_("Not assessed in tiptiers: the report's own narrative gives its reasons."),
    N_("Not ranked in %(before)s: first placed in %(year)s."),
    N_("The first report."),
    N_("Its %(year)s placement is not in the sources we have."),
    N_("A special case: the report does not rank it on the tiers that year (or did not the year before)."),
    # the downgrade rule's audit where a person must look (engine/audit.py: undecided, forbidden, inconsistent)
    N_("Downgrade rule: waiver on record but placed on %(tier)s: for a person to check."),
    N_("Downgrade rule: Tier 3 after Watch List %(streak)s: cannot tell: %(unknown)s not in the sources (an automatic "
       "downgrade if the streak was longer)."),
    N_("Downgrade rule: Watch List year %(number)s in a row with a waiver on record: forbidden (the post-downgrade "
       "limit); for a person to check."),
    N_("Downgrade rule: Watch List year %(number)s in a row with a waiver on record: forbidden (only %(count)s waiver "
       "years are allowed); for a person to check."),
    N_("Downgrade rule: waiver on record, but the placements show only Watch List year %(number)s in a row (after "
       "%(streak)s): for a person to check."),
    N_("Downgrade rule: Watch List after %(streak)s: cannot tell: %(unknown)s not in the sources (a waiver year, or "
       "an automatic downgrade, if the streak was longer)."),
    N_("Downgrade rule: Watch List year %(number)s in a row: forbidden (the post-downgrade limit)."),
    N_("Downgrade rule: Watch List year %(number)s in a row: forbidden (only %(count)s waiver years are allowed)."),
    N_("Downgrade rule: Watch List year %(number)s in a row (after %(streak)s) and no waiver for it in the %(year)s "
       "memorandum: for a person to check."),
)
DECISIVE = N_("Decisive in the assessment: %(titles)s.")
PREVIOUS_YEAR = {"no report": N_("no report"), "not ranked": N_("not ranked"),
                 "not in the sources we have": N_("not in the sources we have")}


def _duration(text: str) -> str:
    n = int(text.split()[0])
    return i18n.ngettext("%(num)s year", "%(num)s years", n) % {"num": n}


def _titles(text: str) -> str:
    return "; ".join(i18n.gettext(title) for title in text.split("; "))  # the methodology's titles (babel.cfg)


_KINDS.update({"span": r"\d+(?:-\d+)?", "duration": r"\d+ years?", "before": _NUMBER,
               "streak": r"\d+(?:-\d+)?|none", "unknown": _NUMBER})
_CONVERT.update({"duration": _duration, "titles": _titles,
                 "streak": lambda v: i18n.gettext(N_("none")) if v == "none" else v})


@cache
def _movement_patterns() -> tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]:
    """Each reason alone, the decisive criteria alone, and each reason followed by them (as movements.py joins
    them)."""
    decisive = _pattern(DECISIVE).pattern
    out: list[tuple[tuple[str, ...], re.Pattern[str]]] = [((m,), _pattern(m)) for m in (*MOVEMENT_REASONS, DECISIVE)]
    out += [((m, DECISIVE), re.compile(_pattern(m).pattern + " " + decisive, re.S)) for m in MOVEMENT_REASONS]
    return tuple(out)


def movement_reason(text: str) -> str:
    """A movement's reason in the request's language (English, or a sentence not recognised, as it is)."""
    if i18n.current() == i18n.DEFAULT or not text:
        return text
    for messages, pattern in _movement_patterns():
        found = pattern.fullmatch(text)
        if found:
            params = found.groupdict()
            return " ".join(_fill(m, {k: v for k, v in params.items() if f"%({k})s" in m}) for m in messages)
    return text


def previous_year_words(text: str) -> str:
    """Movement.previous_year ("not ranked", "not in the sources we have") in the request's language."""
    if i18n.current() == i18n.DEFAULT or text not in PREVIOUS_YEAR:
        return text
    return i18n.gettext(PREVIOUS_YEAR[text])


# --- coverage (tiptiers/coverage.py): how complete a year's record is, what an absent country is ---------------


def _listed(words: list[str]) -> str:
    if not words:
        return i18n.gettext(N_("none"))
    if len(words) == 1:
        return words[0]
    return i18n.gettext(N_("%(items)s and %(last)s")) % {"items": ", ".join(words[:-1]), "last": words[-1]}


def tier_list(tiers: Iterable[Tier]) -> str:
    """coverage.tier_list in the request's language."""
    chosen = set(tiers)
    return _listed([i18n.gettext(N_("special cases") if t == Tier.SPECIAL else t.label)
                    for t in TIER_ORDER if t in chosen])


def coverage_summary(coverage: YearCoverage, placed: int) -> str:
    """YearCoverage.summary in the request's language."""
    if i18n.current() == i18n.DEFAULT:
        return coverage.summary(placed)
    count = i18n.ngettext("%(num)s country placed", "%(num)s countries placed", placed) % {"num": placed}
    if coverage.official_count is not None:
        count = i18n.gettext(N_("%(count)s (the report placed %(official)s)")) % {
            "count": count, "official": coverage.official_count}
    if coverage.complete:
        return i18n.gettext(N_("Complete: every list of the report is in the sources; %(count)s.")) % {"count": count}
    if not coverage.full_tiers:
        return i18n.gettext(N_("Partial: no list of the report is known to be complete; %(count)s.")) % {
            "count": count}
    return i18n.gettext(N_("Partial: %(full)s in full, %(missing)s in part; %(count)s.")) % {
        "full": tier_list(coverage.full_tiers), "missing": tier_list(coverage.missing_tiers), "count": count}


def absent_means(coverage: YearCoverage, iso3: str) -> str:
    """YearCoverage.absent_means in the request's language (a gap's own reason, a record's words, stays as
    written)."""
    if i18n.current() == i18n.DEFAULT:
        return coverage.absent_means(iso3)
    if coverage.complete:
        return i18n.gettext(N_("not ranked this year"))
    if iso3 in coverage.gaps:
        return i18n.gettext(N_("not in the sources we have (%(why)s)")) % {"why": coverage.gaps[iso3]}
    if coverage.full_tiers:
        return i18n.gettext(N_("not in the sources we have: %(tiers)s, or not ranked")) % {
            "tiers": tier_list(coverage.missing_tiers)}
    return i18n.gettext(N_("not in the sources we have"))


# --- what blocks publication (tiptiers/review/model.py gate_reasons) --------------------------------------------

BLOCKING = (
    N_("the draft has not been sent to the government for review"),
    N_("the government's review is open until %(date)s (request #%(request)s, sent %(sent)s)"),
    N_("claim #%(claim)s was added after the draft was sent (request #%(request)s) and the government has not seen "
       "it: send the draft again"),
    N_("claim #%(claim)s was added after the final report was sent (request #%(request)s) and the government has "
       "not seen it: send the final report again"),
    N_("dispute #%(dispute)s on claim #%(claim)s is open: the government says %(quote)s"),
    N_("the government's final comments are open until %(date)s (final report #%(request)s, sent %(sent)s)"),
    N_("the final report has not been sent to the government for its final comments (the second stage of the right "
       "of reply)"),
)
_DAY = r"\d{4}-\d{2}-\d{2}"
_KINDS.update({"date": _DAY, "sent": _DAY, "request": _NUMBER, "dispute": _NUMBER, "claim": r"\S+?"})
_CONVERT.update({"date": i18n.format_date, "sent": i18n.format_date})


@cache
def _blocking_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((m, _pattern(m)) for m in BLOCKING)


def blocking_reason(text: str) -> str:
    """A reason that blocks publication in the request's language (the government's words it quotes as written)."""
    return _translate(text, _blocking_patterns())


# --- charts (tiptiers/publish/charts.py) ----------------------------------------------------------------------


def history_chart_title(iso3: str, english_name: str) -> str:
    """The tier-history chart's title ("Japan: tier by year") in the request's language."""
    from tiptiers.web.deps import country_name

    return i18n.gettext(N_("%(country)s: tier by year")) % {"country": country_name(iso3, english_name)}


# The calendar's warnings (compute_calendar), with the calendar's own windows.
CALENDAR_WARNINGS = (
    N_("the reply windows (%(windows)s) cannot fit between the end of the reporting period (%(end)s) and the "
       "report's deadline (%(deadline)s): the draft must go out by %(by)s, %(days)s days before the reporting "
       "period ends"),
    N_("with the draft sent on %(sent)s, the final comments are due %(due)s: %(days)s days after %(latest)s, the "
       "last day that leaves %(publication)s before the report's deadline (%(deadline)s)"),
)
_KINDS.update({name: _DAY for name in ("end", "deadline", "by", "due", "latest")} | {"days": _NUMBER})
_CONVERT.update({name: i18n.format_date for name in ("end", "deadline", "by", "due", "latest")})


@cache
def _warning_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((m, _pattern(m)) for m in CALENDAR_WARNINGS)


def calendar_warning(text: str, calendar: Calendar) -> str:
    """One of the calendar's warnings in the request's language (its windows described in it too)."""
    if i18n.current() == i18n.DEFAULT:
        return text
    for message, pattern in _warning_patterns():
        found = pattern.fullmatch(text)
        if found:
            params = found.groupdict()
            params.pop("windows", None)
            params.pop("publication", None)
            words = {name: _CONVERT.get(name, str)(value) for name, value in params.items()}
            return i18n.gettext(message) % {**words, "windows": windows_text(calendar.windows),
                                            "publication": span_text(calendar.windows.publication)}
    return text


# --- the HTML error page: the commonest details (a visitor's wrong address); others show as the API gives them --

ERRORS = (
    N_("unknown country %(code)s; use an ISO 3166-1 alpha-3 code such as JPN"),
    N_("year: no published report for %(year)s (published years: %(known)s)"),
    N_("year: no report for %(year)s (report years: %(known)s)"),
    N_("iso3: %(country)s has no placement in the %(year)s report"),
    N_("no published report yet"),
    N_("Not Found"),
)
_KINDS.update({"code": r"'[^']*'", "known": r"\d+-\d+|none"})
_CONVERT.update({"known": lambda v: i18n.gettext(N_("none")) if v == "none" else v})


@cache
def _error_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((m, _pattern(m)) for m in ERRORS)


def error_detail(detail: object) -> object:
    """An error page's detail in the request's language where it is one of the commonest (or a form's); else as
    given."""
    if not isinstance(detail, str):
        return detail
    shown = _translate(detail, _error_patterns())
    return form_error(detail) if shown == detail else shown


def error_body(scope: Scope, status: int, detail: object) -> dict[str, Any]:
    """The app's JSON error, `{"error": {"status", "detail"}}`, `detail` in English (the API's contract); for a
    reader of another language (web/i18n.py `reader_language`: `?lang=`, the cookie, Accept-Language) also
    `shown`, the detail as the HTML error page shows it to that reader (review.js and workspace.js show it)."""
    error: dict[str, Any] = {"status": status, "detail": detail}
    lang = i18n.reader_language(scope)
    if lang != i18n.DEFAULT:
        with i18n.use(lang):
            error["shown"] = error_detail(detail)
    return {"error": error}


def error_headers(scope: Scope) -> dict[str, str]:
    """A JSON error's own headers: on the API's paths (which the language middleware leaves without a Vary, their
    answers being English) it varies by what the reader's language comes from, as its `shown` does."""
    return {"Vary": i18n.VARY.decode()} if i18n.english_only(scope.get("path", "")) else {}


# --- the movements' filters in words, and the title of the flow chart's download (SVG, PNG) ------------------

DIRECTIONS = {"down": N_("downgrades"), "up": N_("upgrades"), "new": N_("new in the report"),
              "unknown": N_("previous year unknown"), "special": N_("special cases"), "same": N_("unchanged")}


def filter_words(to: Tier | None, direction: str | None) -> str:
    """publish.movements.filter_words in the request's language ("" when no filter)."""
    parts = [i18n.gettext(DIRECTIONS[direction])] if direction else []
    if to:
        parts.append(i18n.gettext(N_("now %(tier)s")) % {"tier": i18n.gettext(to.label)})
    return ", ".join(parts)


def flows_download_title(year: int, to: Tier | None, direction: str | None) -> str:
    """The title inside the flow chart's SVG and PNG downloads, in the request's language."""
    filters = filter_words(to, direction)
    message = (N_("Changes in the %(year)s report: %(filters)s: countries by tier, %(before)s to %(year)s") if filters
               else N_("Changes in the %(year)s report: countries by tier, %(before)s to %(year)s"))
    return i18n.gettext(message) % {"year": year, "before": year - 1, "filters": filters}


# --- generated narratives (tiptiers/publish/narrative.py, report.py): an imported year's record, in words ------

# The movement from the year before (report.py movement_text), which may go on with the movement's reason.
NARRATIVE_MOVES = (
    N_("%(name)s was not ranked in %(before)s: %(year)s is its first placement."),
    N_("%(name)s's placement in %(before)s is not in the sources we have."),
    N_("Same tier as in %(before)s."),
    N_("Up from %(tier)s in %(before)s."),
    N_("Down from %(tier)s in %(before)s."),
    N_("%(previous)s in %(before)s."),
)
# What the record holds of the year besides its tier (report.py record_lines).
RECORD_LINES = (
    N_("Source of the placement: %(source)s (%(how)s)."),
    N_("Source of the placement: %(source)s."),
    N_("Cho's 3P index for %(year)s: prosecution %(prosecution)s, protection %(protection)s, prevention "
       "%(prevention)s, total %(total)s of 15 (5 is best)."),
    N_("Cho's 3P index for %(year)s: prosecution %(prosecution)s, protection %(protection)s, prevention "
       "%(prevention)s (5 is best)."),
    N_("Cho's 3P index has no scores for %(year)s (it covers 2000-2014)."),
    N_("Diplomatic cables filed under the %(year)s report: %(cables)s."),
    N_("No diplomatic cable in tiptiers is filed under the %(year)s report."),
)
HOW_PLACED = {"the source lists it": N_("the source lists it"),
              "the report's words in another year state it": N_("the report's words in another year state it")}
_SCORE = r"not coded|\d+ of 5"


def _score(text: str) -> str:
    if text == "not coded":
        return i18n.gettext(N_("not coded"))
    return i18n.gettext(N_("%(score)s of 5")) % {"score": text.split()[0]}


def _country(text: str) -> str:
    from tiptiers.countries import country_table
    from tiptiers.web.deps import country_name

    found = country_table().find(text)
    return country_name(found.iso3, text) if found else text


def _previous(text: str) -> str:
    return previous_year_words(text) if text in PREVIOUS_YEAR else _tier(text)


_KINDS.update({"prosecution": _SCORE, "protection": _SCORE, "prevention": _SCORE, "total": _NUMBER,
               "how": "|".join(re.escape(h) for h in HOW_PLACED),
               "previous": "|".join(re.escape(w) for w in (*PREVIOUS_YEAR, *TIER_LABELS.values()))})
_CONVERT.update({"prosecution": _score, "protection": _score, "prevention": _score, "name": _country,
                 "how": lambda v: i18n.gettext(HOW_PLACED[v]), "previous": _previous})


@cache
def _narrative_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The record's lines, and each movement alone or followed by its reason (as movement_text joins them)."""
    out = [(m, _pattern(m)) for m in RECORD_LINES]
    out += [(m, re.compile(_pattern(m).pattern + r"(?: (?P<reason>.+))?", re.S)) for m in NARRATIVE_MOVES]
    return tuple(out)


def narrative_sentence(text: str) -> str:
    """A sentence of a generated narrative in the request's language: the engine's reasons, the movement (and its
    reason), the record's lines; one not recognised (a rule's description) as it is."""
    if i18n.current() == i18n.DEFAULT or not text:
        return text
    reason = engine_text(text)
    if reason != text:
        return reason
    for message, pattern in _narrative_patterns():
        found = pattern.fullmatch(text)
        if found:
            params = found.groupdict()
            then = params.pop("reason", None)
            shown = _fill(message, params)
            shown = shown[:1].upper() + shown[1:]  # "not ranked in 2012." begins a line
            return shown + (" " + movement_reason(then) if then else "")
    return text


def _rules_in_language(data: NarrativeData) -> list[RuleLine]:
    """The law's rules of a narrative with each description in the request's language (the methodology's YAML
    description translated, the rules it names by id read as their values, as report.py does in English) and a
    level as its name; the references as they are."""
    from dataclasses import replace

    from tiptiers.publish.report import methodology

    m = methodology(data.year)
    raw = {p.name: p.description for p in m.parameters} if m is not None else {}
    values = {r.name: str(_level_name(r.value)) for r in data.rules}
    named = re.compile(r"\b(" + "|".join(map(re.escape, sorted(values, key=len, reverse=True))) + r")\b")
    return [replace(r, description=named.sub(lambda hit: values[hit.group(1)], i18n.gettext(raw[r.name])),
                    value=_level_name(r.value)) if r.name in raw and values else r for r in data.rules]


def _level_name(value: str) -> str:
    """A rule's value as a person reads it where it is a rating level ("substantiel" for substantial)."""
    words = value.replace("_", " ")
    return i18n.gettext(LEVELS[words]) if words in LEVELS else value


def _generated(cy: CountryYear, with_rules: bool = True) -> str:
    """The generated text of a narrative in the request's language: its country's name and the law's date in it."""
    from dataclasses import replace

    from tiptiers.publish.narrative import generate_markdown
    from tiptiers.web.deps import country_name

    if i18n.current() == i18n.DEFAULT:
        return generate_markdown(cy.data, with_rules=with_rules)
    data = replace(cy.data, country=country_name(cy.data.iso3, cy.data.country),
                   law_date=i18n.format_date(cy.data.law_date), rules=_rules_in_language(cy.data))
    return generate_markdown(data, with_rules=with_rules, words=i18n.gettext, sentence=narrative_sentence)


def narrative_in_language(cy: CountryYear) -> CountryYear:
    """A narrative's generated text (version 0: no analyst has written it) in the request's language; a written
    text, a translation, or English as they are."""
    if i18n.current() == i18n.DEFAULT or cy.version or cy.language != i18n.DEFAULT:
        return cy
    from dataclasses import replace

    from tiptiers.publish.narrative import render_markdown, rules_heading

    markdown = _generated(cy)
    return replace(cy, markdown=markdown, html=render_markdown(markdown), text_language=i18n.current(),
                   rules_heading=rules_heading(cy.data.year, i18n.gettext))


def compact_narrative(cy: CountryYear) -> str:
    """The whole report's HTML of a generated narrative without the law's rules, in the request's language."""
    from tiptiers.publish.narrative import render_markdown

    return render_markdown(_generated(cy, with_rules=False))


# --- the calendar's source column and its iCalendar feed ----------------------------------------------------

# engine/calendar.py REPLY_REFERENCE, the reply steps' source (tests/test_i18n_web.py checks they are the same)
REPLY_REFERENCE = N_("project setting: the right of reply after GRETA (Council of Europe Convention on Action against "
                     "Trafficking in Human Beings, art. 38): the draft, then the final report, each with a window")


def step_reference(step: Step) -> str:
    """A step's source in the request's language: the reply steps' setting, a law step's reference from the YAML
    (the citations as they are, the words around them translated)."""
    if i18n.current() == i18n.DEFAULT or not step.reference:
        return step.reference
    return i18n.gettext(REPLY_REFERENCE if step.key in REPLY_STEPS else step.reference)


def step_uncertain(step: Step) -> str:
    """What a step's source leaves unverified, in the request's language ("" when nothing)."""
    if i18n.current() == i18n.DEFAULT or not step.uncertain:
        return step.uncertain
    return i18n.gettext(step.uncertain)


ICS_NAME = N_("TIP report %(year)s: the annual cycle")
ICS_SUMMARY = N_("%(step)s (%(year)s report)")
ICS_DESCRIPTION = N_("%(description)s\n\nSource: %(reference)s\nStatus: %(status)s")
ICS_UNVERIFIED = N_("Not verified: %(what)s")


def ics_texts(step: Step, calendar: Calendar) -> tuple[str, str]:
    """An iCalendar event's summary and description for a step, in the request's language."""
    summary = i18n.gettext(ICS_SUMMARY) % {"step": step_title(step), "year": calendar.year}
    description = i18n.gettext(ICS_DESCRIPTION) % {
        "description": step_description(step, calendar), "reference": step_reference(step),
        "status": step_summary(step)}
    if step.uncertain:
        description += "\n" + i18n.gettext(ICS_UNVERIFIED) % {"what": step_uncertain(step)}
    return summary, description


# The Watch List signals of 22 U.S.C. 7107(b)(2)(A), as the workspace's editor asks them (the engine's defaults apply
# unset), and as its redraw (routes/engine.py) shows them on the way up.
SIGNAL_QUESTIONS = {
    "increasing_efforts_shown": N_("There is evidence of increasing efforts over the previous year"),
    "concrete_actions": N_("The significant efforts rest on concrete actions, not on commitments to take future steps"),
    "victims_significant_or_increasing": N_("The number of victims is very significant or significantly increasing"),
    "proportional_action": N_("The government takes proportional concrete actions (offsets the victims test)"),
}


# --- the words the pages' scripts write (static/*.js): JSON in a data-words attribute, in the page's language -----

SCRIPT_WORDS = {
    "site": {"table": N_("Table"), "scrolls": N_("%(name)s (scrolls sideways)"),
             "request_failed": N_("request failed (%(status)s)")},  # review.js's forms
    "whatif": {"determining": N_("Determining…"), "failed": N_("Not determined: %(detail)s"),
               "updated": N_("Updated: %(tier)s."), "unreachable": N_("The server could not be reached: %(error)s")},
    "workspace": {"saving": N_("Saving…"), "failed": N_("Not saved: %(detail)s"), "saved": N_("Saved %(time)s."),
                  "not_determined": N_("Not determined: %(detail)s"),
                  "request_failed": N_("request failed (%(status)s)"),
                  "unreachable": N_("The server could not be reached: %(error)s")},
}


def script_words(name: str) -> dict[str, str]:
    """A script's words in the request's language, `%(name)s` left for the script to fill (a template global: the
    page writes them as JSON into the `data-words` of the element the script works on; no inline script)."""
    return {key: i18n.gettext(message) for key, message in SCRIPT_WORDS[name].items()}


# --- what a form says is wrong, on the HTML pages (the JSON API's error texts stay English) ---------------------

FORM_FIELDS = {"email": N_("e-mail address"), "sender": N_("your name or your organisation's"),
               "statement": N_("the text"), "source_url": N_("the link to a source"),
               "country": N_("country"), "file": N_("file"), "criteria": N_("what it bears on"),
               "source_type": N_("you write as"), "name": N_("name"), "password": N_("password"),
               "c": N_("countries"), "token": N_("link"), "title": N_("title"),
               "source_date": N_("the date of the source"), "year": N_("report year"),
               "organisation": N_("organisation"), "role": N_("role"), "markdown": N_("the narrative"),
               "note": N_("the note"),
               # the review pages' forms: a liaison's answer, final comments, a resolution, a translation, sending
               "text": N_("the text"), "counter_evidence": N_("the counter-evidence"),
               "counter_source_url": N_("the link"), "language": N_("language"), "reason": N_("the reason"),
               "corrected_statement": N_("the corrected statement"), "deadline": N_("the deadline"),
               # the workspace's evidence forms
               "source_name": N_("the source"), "corroborated_by": N_("the corroborating record")}
FORM_ERRORS = (
    # logging in (routes/auth.py)
    N_("The login form expired; please try again."),
    N_("Enter your name and password."),
    N_("Wrong name or password."),
    N_("Too many failed logins for this name or from this address; try again in 15 minutes."),
    # the public call for information (store/call.py)
    N_("the call is closed: this installation sends no e-mail (TIPTIERS_SMTP_URL is not set), so a sender could not "
       "confirm their address"),
    N_("the call is closed: no request for information is open today; the next opens %(opens)s for the %(year)s "
       "report"),
    N_("the call is closed: no request for information is open today"),
    N_("%(field)s: required"),
    N_("%(field)s: %(count)s characters, at most %(limit)s"),
    N_("%(field)s: must not contain a NUL character"),
    N_("%(field)s: must not be empty"),
    N_("%(field)s: %(value)s is not an http(s) link"),
    N_("email: required, to confirm the information is yours"),
    N_("email: %(address)s is not an e-mail address such as tanaka@mofa.go.jp"),
    N_("country: unknown country %(query)s; did you mean %(names)s?"),
    N_("country: unknown country %(query)s"),
    N_("country: %(query)s may be more than one country: %(names)s; write the name in full or give the ISO code"),
    N_("criteria: choose at least one of the standards and criteria of %(year)s"),
    N_("source_url: must start with https:// or http://"),
    N_("file: %(count)s bytes, at most %(limit)s (%(mib)s MiB)"),
    N_("email: at most %(limit)s submissions an hour from one address; please try again later"),
    N_("email: at most %(limit)s submissions an hour from one computer; please try again later"),
    N_("token: no submission waits for this link (it may have been confirmed already)"),
    N_("token: this link was valid for 48 hours and has expired; please send the information again"),
    # an NGO's shadow report (routes/submissions.py, store/submissions.py, store/evidence.py)
    N_("Claim %(number)s, source_date: %(value)s is not a date like 2026-03-31"),
    N_("Year: %(value)s is not a report year like %(year)s"),
    N_("year: the %(year)s report is published; a shadow report is for a report in preparation, e.g. next year's"),
    N_("claims: a shadow report needs at least one claim"),
    N_("criteria: name at least one criterion the evidence bears on, e.g. criterion_1"),
    # accounts (store/users.py, the admin's form)
    N_("name: %(value)s may hold letters, digits and . _ @ + - only (e.g. jdoe or j.doe@example.org)"),
    N_("password: at least %(count)s characters"),
    N_("password: at most %(count)s characters"),
    N_("organisation: only an ngo account is bound to an organisation; %(role)s accounts are not"),
    N_("organisation: required for an ngo account (the name its claims are published under), e.g. Polaris Project"),
    N_("role: %(value)s is not one of %(roles)s"),
    N_("country: only a liaison is bound to a country; %(role)s accounts are not"),
    N_("country: required for a liaison (the government they answer for), e.g. JPN"),
    N_("name: a user %(value)s already exists"),
    N_("name: a user %(value)s already exists (%(other)s: names differing only in case or width are one name)"),
    # a narrative's edit form (store/publication.py)
    N_("markdown: the narrative is empty"),
    N_("markdown: longer than %(limit)s characters"),
    N_("markdown: contains a NUL character"),
    N_("note: report year %(year)s is published; a correction needs a note saying what changed and why"),
    N_("markdown: identical to the current version"),
    # the comparison (routes/publish.py), shown on the error page
    N_("c: give 2 to 5 countries to compare (got %(count)s), e.g. ?c=JPN&c=KOR"),
    N_("c: unknown country %(query)s; did you mean %(names)s?"),
    N_("c: unknown country %(query)s; use ISO 3166-1 alpha-3 codes such as JPN"),
)
_KINDS.update({"field": "|".join(FORM_FIELDS), "opens": _DAY, "limit": _NUMBER, "mib": _NUMBER,
               "query": r"'[^']*'|\"[^\"]*\"", "address": r"'[^']*'|\"[^\"]*\"",
               "value": r"'[^']*'|\"[^\"]*\"", "other": r"'[^']*'|\"[^\"]*\"",
               "role": "admin|analyst|reviewer|liaison|ngo"})


def _role(value: str) -> str:
    from tiptiers.web.deps import ROLE_LABELS

    return i18n.gettext(ROLE_LABELS[value]) if value in ROLE_LABELS else value


_CONVERT.update({"role": _role})
CLAIM_ERROR = N_("Claim %(number)s, %(detail)s")  # a shadow report's claim block, then what is wrong with it
FILES_AGAIN = N_(" Choose the files again: a browser does not keep them.")
_CLAIM_ERROR = re.compile(r"Claim (\d+), (.+)", re.S)
_CONVERT.update({"field": lambda v: i18n.gettext(FORM_FIELDS[v]), "opens": i18n.format_date})


# What the review pages' forms are told (store/reviews.py, texts.py, attachments.py, assessments.py, the routes of
# web/routes/review.py, the CSRF check of web/auth.py, web/security.py's refusals, FastAPI's own validation): the
# liaison's answers, disputes, final comments and questionnaire; the staff's resolutions, translations and sending.
REVIEW_ERRORS = (
    # the review's window, the draft and its claims
    N_("request: the review of %(place)s %(year)s closed on %(date)s"),
    N_("request: the review of %(place)s %(year)s was completed on %(date)s"),
    N_("no draft of %(place)s %(year)s has been sent for review"),
    N_("no final report of %(place)s %(year)s has been sent for review"),
    N_("no review of %(place)s %(year)s"),
    N_("no claim #%(number)s in the draft of %(place)s %(year)s"),
    N_("evidence_id: claim #%(number)s has been withdrawn"),
    # a file with an answer
    N_("attachment_sha256: only a dispute or a comment carries a file"),
    N_("attachment_public: there is no file to publish; attach one or leave this unset"),
    N_("attachment_sha256: no file you uploaded has SHA-256 %(value)s; upload it first (POST /api/v1/attachments)"),
    N_("file: the attachment is empty"),
    N_("file: %(count)s bytes, at most %(limit)s"),
    N_("body: the request is larger than %(limit)s bytes"),
    # the language a text is written in, a translation
    N_("%(field)s: %(value)s is not a known language tag (BCP 47, e.g. en, fr, es, ar, pt-BR)"),
    N_("language: the text is written in %(language)s already; a translation is into another language"),
    N_("text_id: answer #%(number)s has no words to translate (a bare confirmation)"),
    # an analyst's resolution of a dispute
    N_("no dispute #%(dispute)s"),
    N_("dispute_id: dispute #%(dispute)s was already resolved (%(outcome)s)"),
    N_("dispute_id: the government replaced dispute #%(dispute)s with a later answer (#%(later)s); there is nothing "
       "left to resolve"),
    N_("corrected_statement: an accepted dispute either corrects the claim (give the corrected statement) or "
       "withdraws it (withdraw), exactly one of the two"),
    N_("reason: a maintained claim needs a written reason"),
    N_("outcome: a maintained claim is neither corrected nor withdrawn; use accepted"),
    # sending the draft
    N_("deadline: %(date)s is not after the day sent (%(sent)s)"),
    N_("deadline: %(value)s is not a date YYYY-MM-DD"),
    N_("iso3: no evidence recorded for %(place)s %(year)s: there is no draft to send"),
    # the rating editor's saves (workspace.js)
    N_("version: the assessment of %(place)s %(year)s was saved by %(author)s at %(when)s UTC (version %(current)s) "
       "after version %(number)s, which you edited; reload it and apply your changes again"),
    N_("version: the assessment of %(place)s %(year)s was saved (version %(current)s) after version %(number)s, "
       "which you edited; reload it and apply your changes again"),
    N_("version: the assessment of %(place)s %(year)s was saved by someone else while you edited it; reload it and "
       "apply your changes again"),
    # the workspace's evidence: corroborating a record (review/model.py)
    N_("corroborated_by: corroboration needs the id of an independent evidence record"),
    N_("corroborated_by: a record cannot corroborate itself"),
    N_("corroborated_by: the record has the same source (%(value)s); corroboration must be independent"),
    N_("corroborated_by: a withdrawn record cannot corroborate anything"),
    # FastAPI's validation of a field (web/deps.py field_message)
    N_("%(field)s: String should have at least %(limit)s character"),
    N_("%(field)s: String should have at least %(limit)s characters"),
    N_("%(field)s: String should have at most %(limit)s characters"),
    # before any route: a session that ended (web/auth.py), the session's CSRF token, a busy database
    N_("authentication required: log in (POST /api/v1/session) or send `Authorization: Bearer <token>`"),
    N_("CSRF token does not match this session (it may have ended): reload the page and try again"),
    N_("CSRF token missing: a %(method)s with a session cookie needs the X-CSRF-Token header (from <meta "
       "name=\"csrf-token\">) or a csrf_token form field"),
    N_("the database is busy with other changes; nothing was stored, try again in a few seconds"),
)
OUTCOMES = {"accepted": N_("dispute accepted"), "maintained": N_("claim maintained")}


def _place(code: str) -> str:
    """A country's code in a review's message as its name in the request's language."""
    from tiptiers.countries import country_table
    from tiptiers.web.deps import country_name

    found = country_table().get(code)
    return country_name(code, found.name) if found else code


def _language(english: str) -> str:
    """A language's English name in a message (store/texts.py language_name: "Spanish", "Portuguese (BR)") as the
    request's language names it."""
    from tiptiers.store import texts

    name, _sep, rest = english.partition(" (")
    code = next((c for c, n in texts.common_languages() if n == name), None)
    if code is None:
        return english
    return i18n.language_name(f"{code}-{rest[:-1]}" if rest.endswith(")") else code)


_KINDS.update({"place": "[A-Z]{3}", "outcome": "|".join(OUTCOMES), "later": _NUMBER, "current": _NUMBER,
               "method": "POST|PUT|PATCH|DELETE", "language": r"[^;]+?"})
_CONVERT.update({"place": _place, "outcome": lambda v: i18n.gettext(OUTCOMES[v]), "language": _language})


@cache
def _form_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((m, _pattern(m)) for m in (*FORM_ERRORS, *REVIEW_ERRORS))


def form_error(text: object) -> object:
    """What a form (or the comparison's address) says is wrong, in the request's language where it is one of the
    messages here (a shadow report's "Claim 3, ..." with what follows; a message a form capitalised); else as
    given."""
    if not isinstance(text, str) or i18n.current() == i18n.DEFAULT:
        return text
    if text.endswith(FILES_AGAIN):
        return str(form_error(text[:-len(FILES_AGAIN)])) + i18n.gettext(FILES_AGAIN)
    shown = _translate(text, _form_patterns())
    if shown == text and text[:1].isupper():
        lowered = _translate(text[:1].lower() + text[1:], _form_patterns())
        shown = lowered[:1].upper() + lowered[1:] if lowered != text[:1].lower() + text[1:] else text
    if shown == text and (found := _CLAIM_ERROR.fullmatch(text)):
        detail = str(form_error(found.group(2)))
        if detail != found.group(2):
            shown = i18n.gettext(CLAIM_ERROR) % {"number": found.group(1), "detail": detail}
    return shown


# --- which ratings the country-year page starts from (store/engine_start.py) ------------------------------------

RATINGS_NOTES = (
    N_("The ratings are illustrative: the plainest ratings under which the rules give the published tier, not an "
       "assessment of the government."),
    N_("The ratings are illustrative: the plainest ratings under which the rules give the published tier, not an "
       "assessment of the government. The stored assessment of %(iso3)s %(year)s cannot be determined yet "
       "(%(problem)s)."),
    N_("The ratings are the stored assessment of %(iso3)s %(year)s (draft, last saved by %(author)s on %(when)s "
       "UTC)."),
    N_("The ratings are the stored assessment of %(iso3)s %(year)s (draft, last saved by %(author)s on %(when)s "
       "UTC); %(count)s of them rest on weak evidence and are flagged."),
)
_KINDS.update({"iso3": "[A-Z]{3}", "when": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"})


@cache
def _note_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((m, _pattern(m)) for m in RATINGS_NOTES)


def ratings_note(text: str) -> str:
    """The country-year page's sentence on which ratings it shows, in the request's language."""
    return _translate(text, _note_patterns())
