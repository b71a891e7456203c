"""The whole-report PDFs, one per published year and language (en, fr, es: web/i18n.py), in the database: every app
host serves the same one.
`tiptiers.publish.reportpdf` makes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tiptiers.store.models import Base

CHECK_EVERY = timedelta(hours=1)


class ReportPdf(Base):
    __tablename__ = "report_pdfs"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True, default="en")
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    digest: Mapped[str] = mapped_column(String(64))  # of the HTML it was made from, printed time left out
    fingerprint: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(DateTime)
    checked_at: Mapped[datetime] = mapped_column(DateTime)


@dataclass(frozen=True)
class StoredReport:
    year: int
    digest: str
    fingerprint: str
    built_at: datetime
    checked_at: datetime
    size: int = 0
    language: str = "en"

    def stale(self, current_fingerprint: str, now: datetime) -> bool:
        return current_fingerprint != self.fingerprint or now - self.checked_at > CHECK_EVERY

    def recheck_in(self, now: datetime) -> float:
        """Seconds until the hourly check is due."""
        return max(0.0, (self.checked_at + CHECK_EVERY - now).total_seconds())


def stored(session: Session, year: int, language: str = "en") -> StoredReport | None:
    """The stored report's record (not its bytes), or None."""
    row = session.execute(select(ReportPdf.year, ReportPdf.digest, ReportPdf.fingerprint, ReportPdf.built_at,
                                 ReportPdf.checked_at).where(ReportPdf.year == year,
                                                             ReportPdf.language == language)).first()
    return StoredReport(*row, language=language) if row is not None else None


def content(session: Session, year: int, language: str = "en") -> bytes | None:
    return session.scalar(select(ReportPdf.content).where(ReportPdf.year == year, ReportPdf.language == language))


def save(session: Session, report: StoredReport, body: bytes | None) -> None:
    row = session.get(ReportPdf, (report.year, report.language))
    if row is None:
        assert body is not None
        row = ReportPdf(year=report.year, language=report.language)
        session.add(row)
    if body is not None:
        row.content = body
    row.digest, row.fingerprint = report.digest, report.fingerprint
    row.built_at, row.checked_at = report.built_at, report.checked_at
