"""Typed SQLAlchemy 2 models. Schema changes go through Alembic migrations, never create_all."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
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
    source: Mapped[str] = mapped_column(String(200))

    country: Mapped[Country] = relationship(back_populates="placements")


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
