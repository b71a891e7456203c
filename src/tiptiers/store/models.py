"""Typed SQLAlchemy 2 models. Schema changes go through Alembic migrations, never create_all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

TIER_VALUES = ("1", "2", "2WL", "3", "special")


class Base(DeclarativeBase):
    pass


class Country(Base):
    __tablename__ = "countries"

    iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    iso_status: Mapped[str] = mapped_column(String(10))  # yes | historic | no
    iso_numeric: Mapped[str | None] = mapped_column(String(3))

    placements: Mapped[list[Placement]] = relationship(back_populates="country", order_by="Placement.year")


class Placement(Base):
    """A country's published tier in one report year."""

    __tablename__ = "placements"
    __table_args__ = (
        UniqueConstraint("iso3", "year", name="uq_placements_iso3_year"),
        CheckConstraint("tier IN ('1', '2', '2WL', '3', 'special')", name="ck_placements_tier"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    tier: Mapped[str] = mapped_column(String(7))
    source: Mapped[str] = mapped_column(Text)  # the page or file and version the row was read from
    # listed: the source states the tier of that country in that year; derived: the report's words in another
    # year state it ("remained on Tier 1"); None: not said (an older import)
    method: Mapped[str | None] = mapped_column(String(10))
    evidence: Mapped[str | None] = mapped_column(Text)  # the few words that state it, where recorded
    country_name: Mapped[str | None] = mapped_column(String(200))  # the name as the source spells it
    # Who owns the row: "bundled" (tiptiers' bundled history, which `init` may update while nobody changed it),
    # "import" (a file imported by someone), "correction" (changed by a dated correction)
    origin: Mapped[str] = mapped_column(String(10), default="import")

    country: Mapped[Country] = relationship(back_populates="placements")


class PlacementCorrection(Base):
    """A dated correction of a published placement: who, why, the previous value. Shown wherever it is shown."""

    __tablename__ = "placement_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    previous_tier: Mapped[str | None] = mapped_column(String(7))  # None: the country had no placement
    previous_source: Mapped[str | None] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(String(7))
    source: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class YearCoverageRecord(Base):
    """How complete the record of one report year is (see tiptiers.coverage)."""

    __tablename__ = "year_coverage"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    full_tiers: Mapped[str] = mapped_column(String(40))  # comma-separated tier values given in full
    gaps_json: Mapped[str] = mapped_column(Text, default="{}")  # {iso3: why}
    waivers: Mapped[str] = mapped_column(String(10))  # complete | partial | none
    official_count: Mapped[int | None] = mapped_column(Integer)
    official_source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(10))  # bundled | import


class ThreePScore(Base):
    """Cho's 3P Anti-trafficking Policy Index: 1 (worst) to 5 (best) per P; None where not coded."""

    __tablename__ = "three_p_scores"
    __table_args__ = (UniqueConstraint("iso3", "year", name="uq_three_p_iso3_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    prosecution: Mapped[int | None] = mapped_column(Integer)
    protection: Mapped[int | None] = mapped_column(Integer)
    prevention: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int | None] = mapped_column(Integer)
