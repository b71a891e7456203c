"""The two windows of the right of reply, as settings: the draft's comment window, then the final report's.

GRETA (Council of Europe) gives a government two months to comment on the draft and one month for final comments
on the final report, which is published with them. Both cannot fit between March 31 (the end of the reporting
period) and June 30 (the report's deadline), so the windows are settings: the `greta` preset, and the default
`tip` (four weeks, then two) that fits the TIP deadline. `TIPTIERS_REPLY_WINDOWS` chooses a preset or gives custom
windows (`draft=6w,final=3w,resolution=7d,publication=7d`; units d, w, m).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tiptiers.review.model import add_months


@dataclass(frozen=True)
class Span:
    """A length of time in months and days (months first, clamped to shorter months)."""

    months: int = 0
    days: int = 0

    def after(self, day: date) -> date:
        return add_months(day, self.months) + timedelta(days=self.days)

    def before(self, day: date) -> date:
        return add_months(day, -self.months) - timedelta(days=self.days)

    def __str__(self) -> str:
        if self.months and not self.days:
            return f"{self.months} month{'s' if self.months != 1 else ''}"
        if not self.months and self.days % 7 == 0 and self.days:
            weeks = self.days // 7
            return f"{weeks} week{'s' if weeks != 1 else ''}"
        parts = [f"{self.months} months"] if self.months else []
        return " ".join([*parts, f"{self.days} day{'s' if self.days != 1 else ''}"])


@dataclass(frozen=True)
class ReplyWindows:
    """`draft`: the government's time to comment on the draft; `final`: its time for final comments on the final
    report; `resolution`: the analysts' time between the draft's deadline and sending the final report;
    `publication`: between the final comments' deadline and the report's deadline."""

    name: str
    draft: Span
    final: Span
    resolution: Span = Span(days=7)
    publication: Span = Span(days=7)

    def describe(self) -> str:
        return (f"{self.name}: {self.draft} for comments on the draft, {self.final} for final comments "
                f"({self.resolution} to resolve disputes, {self.publication} before the report is due)")


PRESETS = {
    "tip": ReplyWindows("tip", draft=Span(days=28), final=Span(days=14)),
    "greta": ReplyWindows("greta", draft=Span(months=2), final=Span(months=1)),
}
DEFAULT_PRESET = "tip"
_PART = re.compile(r"^(draft|final|resolution|publication)=(\d{1,3})([dwm])$")


def parse_windows(text: str | None) -> ReplyWindows:
    """A preset name, or custom `draft=4w,final=2w[,resolution=7d][,publication=7d]` over the default; ValueError
    naming the part at fault."""
    text = (text or "").strip().lower()
    if not text:
        return PRESETS[DEFAULT_PRESET]
    if text in PRESETS:
        return PRESETS[text]
    windows = replace(PRESETS[DEFAULT_PRESET], name="custom")
    for part in (p.strip() for p in text.split(",")):
        match = _PART.match(part)
        if not match:
            raise ValueError(f"reply windows: {part!r} is not a preset ({', '.join(PRESETS)}) nor NAME=N[d|w|m] with "
                             "NAME one of draft, final, resolution, publication (e.g. draft=4w,final=2w)")
        field, number, unit = match.group(1), int(match.group(2)), match.group(3)
        span = Span(months=number) if unit == "m" else Span(days=number * (7 if unit == "w" else 1))
        windows = replace(windows, **{field: span})  # type: ignore[arg-type]
    if not any((windows.draft.months, windows.draft.days)) or not any((windows.final.months, windows.final.days)):
        raise ValueError("reply windows: the draft and final windows must be longer than zero")
    return windows


def windows_from_environment() -> ReplyWindows:
    """The project's setting, TIPTIERS_REPLY_WINDOWS (default: the `tip` preset)."""
    return parse_windows(os.environ.get("TIPTIERS_REPLY_WINDOWS"))


def final_stage_required() -> bool:
    """TIPTIERS_REPLY_FINAL=required: publication waits for the final report to have been sent (the second stage);
    by default the stage is the analysts' choice per country, and once a final report is sent the gate waits for
    its window either way."""
    return os.environ.get("TIPTIERS_REPLY_FINAL", "").strip().lower() == "required"
