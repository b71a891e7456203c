"""A methodology as data for people and programs: what the CLI prints and the API returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from tiptiers.methodology.loader import Methodology


class ItemOut(BaseModel):
    id: str
    kind: str
    number: int
    title: str
    description: str
    in_force_since: str
    core: bool
    reference: str
    uncertain: str = ""


class ParameterOut(BaseModel):
    name: str
    description: str
    value: Any
    since: str
    reference: str
    methodology_choice: bool
    uncertain: str = ""


class MethodologyOut(BaseModel):
    id: str
    name: str
    description: str
    on: str = Field(description="The date the law was read at (end of the reporting period of the report year)")
    law_date: str = Field(description="The date the most recent provision applied took effect")
    significant_efforts_min_count: int
    standards: list[ItemOut]
    criteria: list[ItemOut]
    rules: list[ParameterOut]
    references: list[str]


def describe(m: Methodology) -> MethodologyOut:
    def item(i: Any) -> ItemOut:
        return ItemOut(id=i.id, kind=i.kind, number=i.number, title=i.title, description=i.description,
                       in_force_since=i.since.isoformat(), core=i.core, reference=i.reference, uncertain=i.uncertain)

    refs = m.metadata.get("reference", [])
    return MethodologyOut(
        id=m.id, name=m.name, description=m.description, on=m.on.isoformat(), law_date=m.law_date.isoformat(),
        significant_efforts_min_count=m.significant_efforts_min_count,
        standards=[item(s) for s in m.standards], criteria=[item(c) for c in m.criteria],
        rules=[ParameterOut(name=p.name, description=p.description,
                            value=p.value.value if hasattr(p.value, "value") else p.value, since=p.since.isoformat(),
                            reference=p.reference, methodology_choice=p.methodology_choice, uncertain=p.uncertain)
               for p in m.parameters],
        references=[str(r) for r in refs] if isinstance(refs, list) else [str(refs)],
    )
