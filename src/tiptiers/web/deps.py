"""Request-scoped dependencies and the template environment shared by every route module."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from tiptiers.countries import Country, country_table
from tiptiers.store.publication import public_years
from tiptiers.store.users import STAFF_ROLES, User
from tiptiers.tiers import TIER_LABELS, Tier

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["tier_label"] = lambda value: Tier(value).label
templates.env.globals["TIER_LABELS"] = {t.value: label for t, label in TIER_LABELS.items()}


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def visible_years(session: Session, user: User | None, years: Iterable[int]) -> set[int]:
    """The report years this visitor may see: all of them for staff, only published ones for anyone else."""
    if user is not None and user.role in STAFF_ROLES:
        return set(years)
    return set(public_years(session, years))


def country_or_404(iso3: str) -> Country:
    country = country_table().get(iso3.upper())
    if country is None:
        raise HTTPException(404, f"unknown country {iso3!r}; use an ISO 3166-1 alpha-3 code such as JPN")
    return country
