"""Read one country-year's assessment from a YAML (or JSON) document. Pure: text in, AssessmentInput out."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from tiptiers.engine.model import AssessmentInput, HistoryEntry

EXAMPLE = """\
# tiptiers assess FILE.yaml: one country-year's ratings
iso3: JPN
year: 2008
ratings:                      # every standard_1..4; criteria optional (unrated = not_met)
  standard_1: substantial
  standard_2: partial
  standard_3: partial
  standard_4: {level: substantial, evidence: [ev-12, "NPA statistics 2007"], note: "more prosecutions"}
  criterion_1: substantial
  criterion_2: partial
  criterion_3: substantial
  criterion_4: substantial
  criterion_5: substantial
  criterion_6: substantial
  criterion_7: partial
  criterion_8: substantial
increasing_efforts_shown: true
concrete_actions: true
victims_significant_or_increasing: false
history:                      # optional: earlier placements (else taken from the database)
  2006: 2
  2007: 2
"""


class AssessmentFileError(ValueError):
    """The file cannot be read as an assessment; the message names the line or field."""


def format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "assessment"
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def _ratings(value: Any) -> Any:
    """Ratings as a list of {criterion, level, ...} or as a mapping criterion -> level | {level, evidence, note}."""
    if isinstance(value, dict):
        return [{"criterion": str(k), **(v if isinstance(v, dict) else {"level": v})} for k, v in value.items()]
    return value


def parse_assessment(text: str, source: str = "assessment") -> tuple[AssessmentInput, list[HistoryEntry] | None]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise AssessmentFileError(f"{source}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise AssessmentFileError(f"{source}: expected a mapping with iso3, year and ratings")
    history_data = data.pop("history", None)
    data["ratings"] = _ratings(data.get("ratings"))
    try:
        assessment = AssessmentInput.model_validate(data)
        history = None
        if history_data is not None:
            if not isinstance(history_data, dict):
                raise AssessmentFileError(f"{source}: history: expected a mapping year -> tier")
            history = [HistoryEntry(year=int(y), tier=str(t)) for y, t in history_data.items()]
    except ValidationError as exc:
        raise AssessmentFileError(f"{source}: {format_validation_error(exc)}") from None
    return assessment, history
