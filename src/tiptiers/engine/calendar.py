"""The calendar of a report year: the law's steps (tiptiers.methodology.cycle) and the right of reply's windows
(tiptiers.review.windows) as dated steps, with what is done, what is late and by how much.

Pure: the law, the settings, what happened (`Facts`, filled by the store from its records) and today in; a
`Calendar` out. It needs no records: a year nobody has worked on yet is the law's dates and the planned windows.

The reply windows are planned backwards from the report's deadline (final comments due `publication` before it,
the final report sent `final` before that, the draft's comments due `resolution` earlier, the draft sent `draft`
before that); once the draft was really sent they run forwards from that date, and the calendar warns when they can
no longer end before the deadline, or when the plan needs the draft out before the reporting period ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tiptiers.methodology.cycle import StepRule, When, cycle_law
from tiptiers.methodology.loader import methodology_for_year
from tiptiers.report_years import reporting_period
from tiptiers.review.windows import ReplyWindows

REPLY_REFERENCE = ("project setting: the right of reply after GRETA (Council of Europe Convention on Action against "
                   "Trafficking in Human Beings, art. 38): the draft, then the final report, each with a window")


@dataclass(frozen=True)
class Facts:
    """What happened, by step key: the day each step was done (e.g. `report_due`: the day the report came out;
    `draft_sent`: the first draft sent to a government), and free notes shown beside a step (counts, for staff)."""

    done: Mapping[str, date] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    reply_here: bool = False  # the right of reply of this year ran here (told to the public without its dates)

    @property
    def history_only(self) -> bool:
        """The report came out without this project's right of reply (the bundled history): a step without a
        record here is unrecorded, not overdue, and there are no reply steps."""
        return "report_due" in self.done and "draft_sent" not in self.done and not self.reply_here


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    description: str
    kind: str  # window | period | deadline | list
    due: date  # the deadline, the period's or window's last day, the day a list is published
    start: date | None  # a window's or period's first day
    reference: str
    source: str  # law | practice | setting
    uncertain: str = ""
    done_on: date | None = None
    status: str = "upcoming"  # upcoming | open | done | late | overdue | early | ended | unrecorded
    days_late: int = 0  # done after `due` (late) or not done and `due` passed (overdue)
    note: str = ""

    @property
    def summary(self) -> str:
        """The status in words, e.g. 'done 2025-09-29, 91 days late'."""
        late = f"{self.days_late} day{'s' if self.days_late != 1 else ''} late"
        if self.status == "done":
            return f"done {self.done_on}"
        if self.status == "late":
            return f"done {self.done_on}, {late}"
        if self.status == "overdue":
            return f"not done, {late}"
        if self.status == "early":
            return f"done {self.done_on}, before the window opened"
        return {"open": "open now", "ended": "ended", "upcoming": "upcoming",
                "unrecorded": "no record of it here"}[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "description": self.description, "kind": self.kind,
                "start": self.start.isoformat() if self.start else None, "due": self.due.isoformat(),
                "reference": self.reference, "source": self.source, "uncertain": self.uncertain or None,
                "done_on": self.done_on.isoformat() if self.done_on else None, "status": self.status,
                "days_late": self.days_late, "summary": self.summary, "note": self.note or None}


@dataclass(frozen=True)
class Calendar:
    year: int
    today: date
    windows: ReplyWindows
    steps: tuple[Step, ...]
    warnings: tuple[str, ...]

    @property
    def period(self) -> tuple[date, date]:
        return reporting_period(self.year)

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        start, end = self.period
        return {"year": self.year, "today": self.today.isoformat(), "reporting_period": {
                    "start": start.isoformat(), "end": end.isoformat()},
                "reply_windows": {"preset": self.windows.name, "draft": str(self.windows.draft),
                                  "final": str(self.windows.final), "resolution": str(self.windows.resolution),
                                  "publication": str(self.windows.publication)},
                "steps": [s.as_dict() for s in self.steps], "warnings": list(self.warnings)}


def _fixed(year: int, spec: tuple[int, int, int]) -> date:
    offset, month, day = spec
    return date(year + offset, month, day)


def _status(kind: str, start: date | None, due: date, done_on: date | None, today: date,
            history_only: bool) -> tuple[str, int]:
    if kind == "period":
        return ("upcoming", 0) if start and today < start else ("open", 0) if today <= due else ("ended", 0)
    if done_on is not None:
        if start is not None and kind == "window" and done_on < start:
            return "early", 0
        return ("late", (done_on - due).days) if done_on > due else ("done", 0)
    if today > due:
        return ("unrecorded", 0) if history_only else ("overdue", (today - due).days)
    if start is not None and today >= start:
        return "open", 0
    return "upcoming", 0


def _make(key: str, title: str, description: str, kind: str, start: date | None, due: date, reference: str,
          source: str, uncertain: str, facts: Facts, today: date) -> Step:
    done_on = facts.done.get(key)
    status, late = _status(kind, start, due, done_on, today, facts.history_only)
    return Step(key=key, title=title, description=description, kind=kind, due=due, start=start, reference=reference,
                source=source, uncertain=uncertain, done_on=done_on, status=status, days_late=late,
                note=facts.notes.get(key, ""))


def _law_steps(year: int, rules: tuple[StepRule, ...], facts: Facts, today: date) -> dict[str, Step]:
    steps: dict[str, Step] = {}

    def anchor(key: str) -> date:
        done = steps[key].done_on
        return done if done is not None else steps[key].due

    for rule in _ordered(rules):
        w: When = rule.when
        start: date | None = None
        if w.on is not None:
            due = _fixed(year, w.on)
        elif w.start is not None and w.end is not None:
            start, due = _fixed(year, w.start), _fixed(year, w.end)
        elif w.with_step is not None:
            due = anchor(w.with_step)
        else:
            assert w.after is not None
            base = anchor(w.after)
            if w.days is not None:
                due = base + timedelta(days=w.days)
            else:
                start, due = base + timedelta(days=w.min_days or 0), base + timedelta(days=w.max_days or 0)
        description = rule.description
        if rule.key == "waiver_justification":
            most = methodology_for_year(year).rules.max_waiver_years
            description += f" The automatic downgrade may be waived at most {most} consecutive year{'s' * (most != 1)}."
        steps[rule.key] = _make(rule.key, rule.title, description, rule.kind, start, due, rule.reference,
                                "practice" if rule.practice else "law", rule.uncertain, facts, today)
    return steps


def _ordered(rules: tuple[StepRule, ...]) -> list[StepRule]:
    """Steps counted from another after that other (the YAML's order otherwise)."""
    done: list[StepRule] = []
    pending = list(rules)
    while pending:
        ready = [r for r in pending if (r.when.after or r.when.with_step) in (None, *(d.key for d in done))]
        if not ready:  # counted from a step not in force this year: leave them out
            break
        done.extend(ready)
        pending = [r for r in pending if r not in ready]
    return done


def _reply_steps(year: int, deadline: date, windows: ReplyWindows, facts: Facts,
                 today: date) -> tuple[list[Step], list[str]]:
    period_end = reporting_period(year)[1]
    warnings: list[str] = []
    # the plan, backwards from the deadline; the draft's step is due on the plan's day whatever happened
    latest = windows.publication.before(deadline)
    final_due = latest
    final_sent = windows.final.before(final_due)
    draft_due = windows.resolution.before(final_sent)
    draft_sent = windows.draft.before(draft_due)
    sent = facts.done.get("draft_sent")
    if sent is None and draft_sent < period_end:
        warnings.append(
            f"the reply windows ({windows.describe()}) cannot fit between the end of the reporting period "
            f"({period_end}) and the report's deadline ({deadline}): the draft must go out by {draft_sent}, "
            f"{(period_end - draft_sent).days} days before the reporting period ends")
    if sent is not None:  # the later steps run forwards from what really happened
        draft_due = facts.done.get("draft_deadline") or windows.draft.after(sent)
        final_sent = facts.done.get("final_sent") or windows.resolution.after(draft_due)
        final_due = facts.done.get("final_deadline") or windows.final.after(final_sent)
        if final_due > latest:
            warnings.append(
                f"with the draft sent on {sent}, the final comments are due {final_due}: "
                f"{(final_due - latest).days} days after {latest}, the last day that leaves {windows.publication} "
                f"before the report's deadline ({deadline})")
    plan = [
        ("draft_sent", "Draft sent to governments (latest day)", "The draft (claims, ratings, tier, narrative) goes "
         "to each government's liaison for comments.", None, draft_sent),
        ("draft_comments_due", "Comments on the draft due", f"The government has {windows.draft} to confirm, "
         "dispute or comment on each claim of the draft.", draft_sent, draft_due),
        ("final_sent", "Final report sent to governments", "The final report (the resolved claims, the tier, the "
         f"narrative) goes to each government; analysts have {windows.resolution} to resolve the disputes first.",
         None, final_sent),
        ("final_comments_due", "Final comments due", f"The government has {windows.final} for final comments, "
         "which are published with the report.", final_sent, final_due),
    ]
    # sending is the office's deadline; a comment window is the government's time (it ends, it is not overdue)
    steps = [_make(key, title, description, "period" if start else "deadline", start, due, REPLY_REFERENCE,
                   "setting", "", facts, today) for key, title, description, start, due in plan]
    return steps, warnings


def compute_calendar(year: int, windows: ReplyWindows, facts: Facts | None = None, today: date | None = None,
                     methodology: str = "tvpa") -> Calendar:
    """The dated steps of report year `year`, in date order (ties: the law's order)."""
    facts = facts or Facts()
    today = today or date.today()
    law = _law_steps(year, cycle_law(year, methodology), facts, today)
    steps = list(law.values())
    warnings: list[str] = []
    if "report_due" in law and not facts.history_only:
        reply, warnings = _reply_steps(year, law["report_due"].due, windows, facts, today)
        steps.extend(reply)
    order = {s.key: i for i, s in enumerate(steps)}
    steps.sort(key=lambda s: (s.start or s.due, s.due, order[s.key]))
    return Calendar(year=year, today=today, windows=windows, steps=tuple(steps), warnings=tuple(warnings))
