"""The whole-report PDF of a published year: made once (a minute or so of WeasyPrint for ~190 countries), kept on
disk, and never made while a visitor waits.

- `tiptiers publish YEAR` makes it when the year is public. The web app makes it in a child process at low priority:
  when a year's publication time passes while it serves, when a year is published from the web, and when a public
  year's report is asked for and the stored one is missing or stale. Until the first one exists the app answers 503
  with Retry-After; while a newer one is made it serves the last one.
- Stale: the year's narratives or publication changed since (a correction: `publication.fingerprint`), or it was
  last checked over an hour ago (evidence, comments). A check renders the report's HTML and compares its digest with
  the stored one's; only a change is laid out again.

Files, per database (REPORTS_DIR: $TIPTIERS_REPORTS_DIR, or beside the SQLite file): report-YEAR.pdf, report-YEAR.json
(digest, fingerprint, times), report-YEAR.lock while a process makes it (one at a time, across workers and the CLI),
report-YEAR.log (the last child's errors).

    python -m tiptiers.publish.reportpdf YEAR   # what the web app runs, with TIPTIERS_DATABASE_URL set
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tiptiers.publish import pdf
from tiptiers.publish.report import CountryYear, country_year, methodology
from tiptiers.publish.worldmap import MapCountry, map_countries
from tiptiers.store import publication as pubstore
from tiptiers.store.placements import year_placements

CHECK_EVERY = timedelta(hours=1)
ABANDONED_AFTER = 30 * 60  # seconds: a lock older than this (or of a dead process) is taken over
RETRY_AFTER = 60  # seconds, what a visitor is told while the first one is made


class ReportError(ValueError):
    """The report cannot be made; the message starts with the field at fault."""


def reports_dir(database_url: str) -> Path:
    configured = os.environ.get("TIPTIERS_REPORTS_DIR", "").strip()
    if configured:
        return Path(configured)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(str(url.database))
        return db.with_name(f"{db.stem}-reports")
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:12]
    return Path("var") / f"reports-{digest}"


def fingerprint(session: Session, year: int) -> str:
    return repr(pubstore.fingerprint(session, None, year))


@dataclass(frozen=True)
class StoredReport:
    year: int
    path: Path
    digest: str  # of the HTML it was made from, printed time left out
    fingerprint: str
    built_at: datetime
    checked_at: datetime

    def stale(self, current_fingerprint: str, now: datetime) -> bool:
        return current_fingerprint != self.fingerprint or now - self.checked_at > CHECK_EVERY

    def recheck_in(self, now: datetime) -> float:
        """Seconds until the hourly check is due."""
        return max(0.0, (self.checked_at + CHECK_EVERY - now).total_seconds())


def _files(directory: Path, year: int) -> tuple[Path, Path, Path]:
    return directory / f"report-{year}.pdf", directory / f"report-{year}.json", directory / f"report-{year}.lock"


def stored(directory: Path, year: int) -> StoredReport | None:
    path, meta, _ = _files(directory, year)
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        if not path.is_file():
            return None
        return StoredReport(year, path, data["digest"], data["fingerprint"],
                            datetime.fromisoformat(data["built_at"]), datetime.fromisoformat(data["checked_at"]))
    except (OSError, ValueError, KeyError):
        return None


def _write(path: Path, data: bytes) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, path)


def _save_meta(report: StoredReport) -> None:
    _write(_files(report.path.parent, report.year)[1], json.dumps({
        "year": report.year, "digest": report.digest, "fingerprint": report.fingerprint,
        "built_at": report.built_at.isoformat(), "checked_at": report.checked_at.isoformat()}).encode())


# --- one builder at a time ---------------------------------------------------------------------------------------


def _abandoned(lock: Path) -> bool:
    try:
        pid = int(lock.read_text() or "0")
        age = time.time() - lock.stat().st_mtime
    except (OSError, ValueError):
        return True
    if age > ABANDONED_AFTER:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def building(directory: Path, year: int) -> bool:
    lock = _files(directory, year)[2]
    return lock.exists() and not _abandoned(lock)


@contextmanager
def claim(directory: Path, year: int) -> Iterator[bool]:
    """Whether this process may make the year's report now (no other is at it); held until the block ends."""
    lock = _files(directory, year)[2]
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if not _abandoned(lock):
                yield False
                return
            lock.unlink(missing_ok=True)
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        try:
            yield True
        finally:
            lock.unlink(missing_ok=True)
        return
    yield False


# --- making it ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSource:
    year: int
    entries: list[CountryYear]
    law: Any  # the methodology of the year, for the appendix
    countries: dict[str, MapCountry]
    fingerprint: str
    digest: str = ""

    def html(self, generated_at: datetime) -> str:
        return pdf.report_html(self.year, self.entries, self.law, generated_at, self.countries)


def report_source(session: Session, year: int, now: datetime) -> ReportSource:
    """Everything the report prints as of `now`, and the digest of its HTML (the printed time left out)."""
    rows = year_placements(session, year)
    entries = [e for e in (country_year(session, p.iso3, year, now=now) for p in rows) if e is not None]
    countries = map_countries({p.iso3: p.tier for p in rows}, {p.iso3: p.country.name for p in rows},
                              lambda iso3: None)
    source = ReportSource(year, entries, methodology(year), countries, fingerprint(session, year))
    return replace(source, digest=pdf.source_digest(source.html(pdf.TIME_LEFT_OUT)))


def build(sessions: sessionmaker[Session], directory: Path, year: int, now: datetime | None = None,
          force: bool = False) -> StoredReport | None:
    """Check the stored report of a public year against the data and make it again if it changed (or is missing,
    or `force`). None when another process is making it right now."""
    now = now or pubstore.utcnow()
    directory.mkdir(parents=True, exist_ok=True)
    with claim(directory, year) as held:
        if not held:
            return None
        with sessions() as session:
            if not pubstore.is_public(session, year, now):
                at = pubstore.publication_time(session, year)
                raise ReportError(f"year: the report of {year} is not published ("
                                  + (f"embargoed until {at} UTC)" if at else "not scheduled: tiptiers publish YEAR)"))
            if not year_placements(session, year):
                raise ReportError(f"year: no placements for report year {year}")
            source = report_source(session, year, now)
        old = stored(directory, year)
        if old is not None and old.digest == source.digest and not force:
            checked = replace(old, fingerprint=source.fingerprint, checked_at=now)
            _save_meta(checked)
            return checked
        path = _files(directory, year)[0]
        _write(path, pdf.html_to_pdf(source.html(now)))
        made = StoredReport(year, path, source.digest, source.fingerprint, now, now)
        _save_meta(made)
        return made


def pdf_as_of(session: Session, directory: Path, year: int, at: datetime) -> bytes:
    """The report as it was at `at` (a static export): the stored one when it says the same, else made here."""
    source = report_source(session, year, at)
    found = stored(directory, year)
    if found is not None and found.digest == source.digest:
        with suppress(OSError):
            return found.path.read_bytes()
    return pdf.html_to_pdf(source.html(at))


# --- in the background, for the web app --------------------------------------------------------------------------

_children: dict[tuple[str, int], subprocess.Popen[bytes]] = {}
_started: dict[tuple[str, int], float] = {}  # time.monotonic() of the last start


def start_build(database_url: str, year: int) -> bool:
    """Make the year's report in a child process (low priority), unless one is already at it or was started less
    than RETRY_AFTER seconds ago (a report that fails to build is not tried on every request). True if started."""
    directory = reports_dir(database_url)
    for key, child in list(_children.items()):
        if child.poll() is not None:  # finished: reaped
            del _children[key]
    key = (database_url, year)
    if key in _children or building(directory, year) or time.monotonic() - _started.get(key, -1e9) < RETRY_AFTER:
        return False
    _started[key] = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"report-{year}.log", "wb") as log:
        _children[key] = subprocess.Popen(
            [sys.executable, "-m", "tiptiers.publish.reportpdf", str(year)],
            env={**os.environ, "TIPTIERS_DATABASE_URL": database_url}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    return True


def main(argv: list[str]) -> int:
    from tiptiers.store.db import database_url, make_engine, session_factory

    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m tiptiers.publish.reportpdf YEAR  (database: $TIPTIERS_DATABASE_URL)", file=sys.stderr)
        return 2
    with suppress(OSError):
        os.nice(10)  # the web app serving beside it comes first
    url = database_url()
    try:
        build(session_factory(make_engine(url)), reports_dir(url), int(argv[0]))
    except ReportError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
