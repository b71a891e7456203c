"""The whole-report PDF of a published year: made once (a minute or so of WeasyPrint for ~190 countries), kept in
the database, and never made while a visitor waits.

- Made by the job queue (`tiptiers worker`, or the worker thread of `tiptiers serve`), in a child process at low
  priority: at the publication time (publishing a year queues the job, due then), and when a public year's report
  is asked for and the stored one is missing or stale. `tiptiers publish YEAR` makes it at once when the year is
  public. Until the first one exists the app answers 503 with Retry-After; while a newer one is made it serves the
  last one.
- One per language (English, French, Spanish: web/i18n.py), each checked and made by its own job: the English one
  at publication (and by `tiptiers publish YEAR`), another language's the first time a reader asks for it (503 with
  Retry-After meanwhile, as for the first English one).
- Stale: the year's narratives or publication changed since (a correction: `publication.fingerprint`), or it was
  last checked over an hour ago (evidence, comments). A check renders the report's HTML and compares its digest with
  the stored one's; only a change is laid out again.
- In the `report_pdfs` table, so that every app host serves the same one (no file on any host), and each job has a
  key made of what it answers (the publication time; the fingerprint and the last check), so that the hosts that
  all notice the same change queue one job between them.

    python -m tiptiers.publish.reportpdf YEAR [LANGUAGE]   # what the job runs, with TIPTIERS_DATABASE_URL set
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tiptiers.publish import pdf
from tiptiers.publish.report import CountryYear, country_year, methodology
from tiptiers.publish.worldmap import MapCountry, map_countries
from tiptiers.store import jobs
from tiptiers.store import publication as pubstore
from tiptiers.store.db import transaction
from tiptiers.store.placements import year_placements
from tiptiers.store.report_pdfs import StoredReport, content, save, stored
from tiptiers.web import i18n

RETRY_AFTER = 60  # seconds, what a visitor is told while the first one is made
BUILD_TASK = "report.pdf"
REPORT_NICE = "TIPTIERS_REPORT_NICE"  # how far the layout process steps back for the app (nice(1), default 10)
NOT_PUBLIC = 3  # the child's exit status when the year is not (or no longer) public: nothing to make


class ReportError(ValueError):
    """The report cannot be made; the message starts with the field at fault."""


def fingerprint(session: Session, year: int) -> str:
    return repr(pubstore.fingerprint(session, None, year))


# --- queued ------------------------------------------------------------------------------------------------------


def _suffix(language: str) -> str:
    return "" if language == i18n.DEFAULT else f":{language}"  # English keeps the keys it always had


def queue_at_publication(session: Session, year: int, publish_at: datetime) -> None:
    """In the transaction that publishes (or schedules) the year: make its report at the publication time (the
    English one; each other language's is made the first time it is asked for)."""
    jobs.enqueue(session, BUILD_TASK, {"year": year}, key=f"report:{year}:published:{publish_at.isoformat()}",
                 run_at=publish_at, max_attempts=3)


def queue_if_stale(sessions: sessionmaker[Session], year: int, found: StoredReport | None, current: str,
                   now: datetime, language: str = i18n.DEFAULT) -> bool:
    """Queue a check of the year's report unless it is fresh; True when one is needed. Every host that sees the same
    stale report queues the same key: one job."""
    if found is not None and not found.stale(current, now):
        return False
    last = found.checked_at.isoformat() if found is not None else "none"
    digest = hashlib.sha256(current.encode()).hexdigest()[:16]
    with transaction(sessions) as session:
        jobs.enqueue(session, BUILD_TASK, {"year": year, "language": language},
                     key=f"report:{year}:{digest}:{last}{_suffix(language)}", max_attempts=3)
    return True


@jobs.handler(BUILD_TASK)
def _build_job(sessions: sessionmaker[Session], payload: dict[str, Any]) -> None:
    """In a child process at low priority: a minute of layout must not slow the app serving beside it."""
    bind = sessions.kw["bind"]
    url = bind.url.render_as_string(hide_password=False)
    language = str(payload.get("language") or i18n.DEFAULT)
    done = subprocess.run([sys.executable, "-m", "tiptiers.publish.reportpdf", str(int(payload["year"])), language],
                          env={**os.environ, "TIPTIERS_DATABASE_URL": url}, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=3600, check=False)
    if done.returncode not in (0, NOT_PUBLIC):
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise ReportError(f"year {payload['year']}: the report could not be made: {lines[-1] if lines else done}")


# --- making it ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSource:
    """What the report of one language prints."""

    year: int
    entries: list[CountryYear]
    law: Any  # the methodology of the year, for the appendix
    countries: dict[str, MapCountry]
    fingerprint: str
    digest: str = ""
    language: str = i18n.DEFAULT

    def html(self, generated_at: datetime) -> str:
        with i18n.use(self.language):
            return pdf.report_html(self.year, self.entries, self.law, generated_at, self.countries)


def report_source(session: Session, year: int, now: datetime, language: str = i18n.DEFAULT) -> ReportSource:
    """Everything the report prints as of `now`, and the digest of its HTML (the printed time left out)."""
    rows = year_placements(session, year)
    entries = [e for e in (country_year(session, p.iso3, year, now=now) for p in rows) if e is not None]
    countries = map_countries({p.iso3: p.tier for p in rows}, {p.iso3: p.country.name for p in rows},
                              lambda iso3: None)
    source = ReportSource(year, entries, methodology(year), countries, fingerprint(session, year), language=language)
    return replace(source, digest=pdf.source_digest(source.html(pdf.TIME_LEFT_OUT)))


def build(sessions: sessionmaker[Session], year: int, now: datetime | None = None,
          force: bool = False, language: str = i18n.DEFAULT) -> StoredReport:
    """Check the stored report of a public year against the data and make it again if it changed (or is missing,
    or `force`)."""
    now = now or pubstore.utcnow()
    with sessions() as session:
        if not pubstore.is_public(session, year, now):
            at = pubstore.publication_time(session, year)
            raise ReportError(f"year: the report of {year} is not published ("
                              + (f"embargoed until {at} UTC)" if at else "not scheduled: tiptiers publish YEAR)"))
        if not year_placements(session, year):
            raise ReportError(f"year: no placements for report year {year}")
        source = report_source(session, year, now, language)
        old = stored(session, year, language)
    if old is not None and old.digest == source.digest and not force:
        checked = replace(old, fingerprint=source.fingerprint, checked_at=now)
        with transaction(sessions) as session:
            save(session, checked, None)
        return checked
    body = pdf.html_to_pdf(source.html(now))
    made = StoredReport(year, source.digest, source.fingerprint, now, now, len(body), language)
    with transaction(sessions) as session:  # two builders at once: the same bytes, the last one stands
        save(session, made, body)
    return made


def pdf_as_of(session: Session, year: int, at: datetime, language: str = i18n.DEFAULT) -> bytes:
    """The report as it was at `at` (a static export): the stored one when it says the same, else made here."""
    source = report_source(session, year, at, language)
    found = stored(session, year, language)
    if found is not None and found.digest == source.digest:
        body = content(session, year, language)
        if body is not None:
            return body
    return pdf.html_to_pdf(source.html(at))


def main(argv: list[str]) -> int:
    from tiptiers.store.db import database_url, make_engine, session_factory

    if len(argv) not in (1, 2) or not argv[0].isdigit() or (len(argv) == 2 and argv[1] not in i18n.LANGUAGES):
        print("usage: python -m tiptiers.publish.reportpdf YEAR [en|fr|es]  (database: $TIPTIERS_DATABASE_URL)",
              file=sys.stderr)
        return 2
    language = argv[1] if len(argv) == 2 else i18n.DEFAULT
    with suppress(OSError, ValueError):
        os.nice(int(os.environ.get(REPORT_NICE, "10")))  # the web app serving beside it comes first
    sessions = session_factory(make_engine(database_url()))
    year = int(argv[0])
    with sessions() as session:
        if not pubstore.is_public(session, year):  # a job queued for a publication time since moved
            return NOT_PUBLIC
    try:
        build(sessions, year, language=language)
    except ReportError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
