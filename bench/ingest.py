"""Ingest throughput, storage and search latency: real cables replicated (--real), or synthetic ones.

--real: the 633 real cables of the shared corpus (`shared/fixtures/cables-real`, about 9.5 KB of text each)
replicated to N as the release's `cables.csv` (the form the full 251,287-cable release came in: one 1.7 GB file),
each copy under a reference id of its own (the serial moved on by 100,000 per copy; the text is the cable's). Prints
the parser's own rate on one core, what SQLite's FTS5 alone takes to index a cable, the end-to-end rate, peak
memory, the database's size against the text's, and search and country-timeline latencies.

    .venv/bin/python bench/ingest.py --real --n 250000   # the release's size (check `df -h /tmp` first: ~3 GB CSV)
    .venv/bin/python bench/ingest.py --real --n 20000 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Without --real, synthetic cables made from the structure of 08TOKYO1528:

Generates N varied cables (stations, dates, precedences, classifications, tags, lengths, numbering artefacts; about
one in five a reaction to the TIP Report, the rest routine reporting) into a zip archive, ingests the archive into
a temporary SQLite database end to end (read, parse, code reactions, store, index) and times a set of searches
(median and 95th percentile); with --postgres, the same again in a PostgreSQL schema of its own.

    .venv/bin/python bench/ingest.py            # 100,000 cables
    .venv/bin/python bench/ingest.py --n 5000   # quicker
    .venv/bin/python bench/ingest.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test  # and PostgreSQL
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from tiptiers.sources.cable_files import iter_cable_inputs
from tiptiers.sources.cables import CableSource, parse_source, read_cable_file, reference_hint
from tiptiers.sources.reactions import code_reactions
from tiptiers.store import migrate
from tiptiers.store.cables import ParsedCable, ingest, timeline_page
from tiptiers.store.db import make_engine, session_factory
from tiptiers.store.search import SearchFilters, search

STATIONS = [  # post in the reference id, FM line, country tag, routing indicator, country name
    ("TOKYO", "AMEMBASSY TOKYO", "JA", "RUEHKO", "Japan"),
    ("BEIJING", "AMEMBASSY BEIJING", "CH", "RUEHBJ", "China"),
    ("MOSCOW", "AMEMBASSY MOSCOW", "RS", "RUEHMO", "Russia"),
    ("SEOUL", "AMEMBASSY SEOUL", "KS", "RUEHUL", "Korea"),
    ("MANILA", "AMEMBASSY MANILA", "RP", "RUEHML", "the Philippines"),
    ("BANGKOK", "AMEMBASSY BANGKOK", "TH", "RUEHBK", "Thailand"),
    ("HANOI", "AMEMBASSY HANOI", "VM", "RUEHHI", "Vietnam"),
    ("JAKARTA", "AMEMBASSY JAKARTA", "ID", "RUEHJA", "Indonesia"),
    ("NEWDELHI", "AMEMBASSY NEW DELHI", "IN", "RUEHNE", "India"),
    ("ISLAMABAD", "AMEMBASSY ISLAMABAD", "PK", "RUEHIL", "Pakistan"),
    ("RIYADH", "AMEMBASSY RIYADH", "SA", "RUEHRH", "Saudi Arabia"),
    ("KUWAIT", "AMEMBASSY KUWAIT", "KU", "RUEHKU", "Kuwait"),
    ("CAIRO", "AMEMBASSY CAIRO", "EG", "RUEHEG", "Egypt"),
    ("LAGOS", "AMCONSUL LAGOS", "NI", "RUEHOS", "Nigeria"),
    ("NAIROBI", "AMEMBASSY NAIROBI", "KE", "RUEHNR", "Kenya"),
    ("PRETORIA", "AMEMBASSY PRETORIA", "SF", "RUEHSA", "South Africa"),
    ("MEXICO", "AMEMBASSY MEXICO", "MX", "RUEHME", "Mexico"),
    ("BRASILIA", "AMEMBASSY BRASILIA", "BR", "RUEHBR", "Brazil"),
    ("BOGOTA", "AMEMBASSY BOGOTA", "CO", "RUEHBO", "Colombia"),
    ("ANKARA", "AMEMBASSY ANKARA", "TU", "RUEHAK", "Turkey"),
    ("ATHENS", "AMEMBASSY ATHENS", "GR", "RUEHTH", "Greece"),
    ("KYIV", "AMEMBASSY KYIV", "UP", "RUEHKV", "Ukraine"),
    ("CHISINAU", "AMEMBASSY CHISINAU", "MD", "RUEHCH", "Moldova"),
    ("HO CHI MINH CITY", "AMCONSUL HO CHI MINH CITY", "VM", "RUEHHM", "Vietnam"),
]
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
SUBJECT_TAGS = ("PHUM", "PREL", "PGOV", "KCRM", "KWMN", "KTIP", "ELAB", "ECON", "ETRD", "SMIG", "KFRD", "SOCI")
REACTION = [  # sentence templates of a government's reaction; {c} is the country, {t} the tier
    "{c} is very disappointed with being ranked {t} in the {y} TIP Report, the Vice Minister told the DCM.",
    "The result will make it harder for {c} to cooperate with the United States in preparing the next report.",
    "{c} is being held to a different standard than Tier 1 countries, the Director General complained.",
    'The {t} ranking is "a very disappointing result, very regrettable," said the Minister.',
    "The report's language about {c}'s law not criminalizing labor recruiting through fraud is \"completely "
    "false,\" said the Director.",
    "In addition, it is unacceptable that the report contains information from NGOs that was not double-checked "
    "with the Ministry.",
    "The government will discuss whether to continue cooperation in the future, the Minister finished.",
    "The Minister thanked the Ambassador for the report and said the government welcomes its recommendations.",
    "The government will continue to work closely with the United States on victim identification, he said.",
    "The Deputy Minister asked how {c} could improve its ranking next year.",
]
ROUTINE = [  # routine reporting; the slots vary the vocabulary as real traffic does
    "Officials described new labor inspections in the {sector} sector and the agencies that supply {nat} workers.",
    "The ministry published the results of the monthly {commodity} import tender; volumes were in line with "
    "forecasts.",
    "Police raided {n} {venue} in {city} and detained several brokers on charges of {crime}.",
    "The shelter run by {org} reported that it assisted {n} {victims} during the quarter.",
    "Parliament debated amendments to the {law} concerning {group}.",
    "The governor of {city} announced a {project} financed by a consortium of regional banks.",
    "{org} contacts said that {abuse} among {nat} {workers} remains widespread in {city}.",
    "Prosecutors indicted a {broker} for {crime} involving {n} {victims}.",
    "The central bank held interest rates steady, citing inflation risks from higher {commodity} prices.",
    "Local media reported on a bilateral agreement on the recruitment of {nat} {workers}.",
    "The {official} outlined the government's priorities for the coming fiscal year, including {project}.",
    "A court in {city} sentenced {n} traffickers to {n} years in prison for {crime}.",
    "Immigration officers at {city} airport screened {n} {nat} arrivals for signs of {abuse}.",
    "The labor ministry licensed {n} new recruitment agencies and revoked {n} licenses for {crime}.",
    "{org} opened a hotline for {victims} in {city}, staffed in {language}.",
    "The {official} met business leaders in {city} to discuss {commodity} exports and {project}.",
    "Embassy officers visited a {venue} in {city} where {nat} {workers} described {abuse}.",
    "The cabinet approved a budget increase for the {law} task force of {n} percent.",
    "Reporting from {city} indicates that {broker}s charge {nat} {workers} fees of {n} months' wages.",
    "The election commission certified results in {city}; turnout was {n} percent.",
]
WORDS = {
    "sector": ["construction", "fishing", "garment", "agriculture", "domestic work", "shipbuilding", "mining",
               "hospitality", "food processing", "electronics", "brick kiln", "palm oil"],
    "nat": ["Filipino", "Vietnamese", "Chinese", "Indonesian", "Thai", "Nepali", "Burmese", "Bangladeshi",
            "Cambodian", "Ukrainian", "Moldovan", "Nigerian", "Ethiopian", "Sri Lankan", "Uzbek", "Bolivian"],
    "commodity": ["rice", "wheat", "steel", "crude oil", "natural gas", "copper", "soybean", "timber", "sugar"],
    "n": [str(n) for n in (2, 3, 4, 5, 7, 9, 12, 15, 18, 24, 31, 40, 57, 83, 120, 400)],
    "venue": ["karaoke bars", "massage parlors", "construction sites", "fishing vessels", "factories",
              "farms", "private homes", "nightclubs", "dormitories"],
    "city": ["the capital", "the port city", "the northern province", "the border town", "the industrial zone",
             "the southern islands", "the eastern district", "the free trade zone", "the coastal region"],
    "crime": ["forgery", "debt bondage", "forced prostitution", "passport confiscation", "illegal recruitment",
              "wage theft", "document fraud", "child labor", "smuggling", "extortion"],
    "org": ["Caritas", "the IOM", "a local NGO", "a church group", "the Red Cross", "a women's shelter",
            "a labor union", "Polaris", "a legal aid clinic"],
    "victims": ["women", "children", "men", "migrant workers", "trainees", "fishermen", "domestic workers"],
    "law": ["immigration law", "labor standards act", "penal code", "anti-trafficking law", "trainee program",
            "foreign worker act"],
    "group": ["trainees and technical interns", "entertainer visas", "seasonal workers", "foreign spouses",
              "refugees", "domestic workers"],
    "project": ["port development plan", "rural roads program", "new rail link", "housing scheme",
                "power plant", "irrigation project"],
    "abuse": ["debt bondage", "passport confiscation", "unpaid wages", "confinement", "forced overtime",
              "physical abuse", "contract substitution"],
    "workers": ["fishermen", "nurses", "caregivers", "factory workers", "farmhands", "seafarers", "maids"],
    "broker": ["labor broker", "recruiter", "travel agent", "employment agency", "marriage broker"],
    "official": ["Prime Minister", "Finance Minister", "Labor Minister", "Interior Minister", "Justice Minister"],
    "language": ["Tagalog", "Vietnamese", "Nepali", "Russian", "Bahasa", "Amharic", "Spanish"],
}
NUMBERINGS = ("{n}. ", "1{n}. ", "- 1{n}. ", "¶{n}. ", "")


def synthetic_cable(rng: random.Random) -> tuple[str, str]:
    station, origin, tag, routing, name = rng.choice(STATIONS)
    year = rng.randint(2003, 2010)
    month = rng.randint(1, 12)
    serial = rng.randint(1, 9999)
    cls, marker, zn = rng.choice([("UNCLAS", "U", "ZNR UUUUU"), ("CONFIDENTIAL", "C", "ZNY CCCCC"),
                                  ("C O N F I D E N T I A L", "C", "ZNY CCCCC"), ("SECRET", "S", "ZNY SSSSS")])
    noforn = "\n\nNOFORN" if marker == "S" and rng.random() < 0.5 else ""
    precedence, letter = rng.choice([("OO", "O"), ("PP", "P"), ("RR", "R"), ("ZZ", "Z")])
    reaction = rng.random() < 0.2
    tier = rng.choice(["Tier 2", "Tier 2 Watch List", "Tier 3"])
    tags = " ".join([*rng.sample(SUBJECT_TAGS, rng.randint(2, 5)), tag])
    subject = (f"{name.upper()} REACTS TO {year} TIP REPORT" if reaction
               else rng.choice(["LABOR MIGRATION UPDATE", "ECONOMIC ROUNDUP", "LAW ENFORCEMENT NOTES",
                                "PARLIAMENT DEBATES IMMIGRATION BILL", "NGO VIEWS ON FORCED LABOR"]))
    header = "" if rng.random() < 0.1 else (
        f"VZCZCXRO{rng.randint(1000, 9999)} {precedence} RUEHBI RUEHCI\nDE {routing} #{serial:04d} "
        f"{rng.randint(1, 365):03d}{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}\nZNY {zn[4:]} ZZH\n"
        f"{letter} {rng.randint(1, 28):02d}{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}Z {MONTHS[month - 1]} "
        f"{year % 100:02d}\nFM {origin}\nTO RUEHC/SECSTATE WASHDC {rng.choice(['IMMEDIATE', 'PRIORITY'])} "
        f"{rng.randint(1, 9999)}\nINFO RUEHXI/LABOR COLLECTIVE PRIORITY\nBT\n")
    pool = REACTION if reaction else ROUTINE
    numbering = rng.choice(NUMBERINGS)
    paragraphs = []
    for n in range(1, rng.randint(2, 9) + 1):
        sentences = " ".join(rng.choice(pool).format(c=name, t=tier, y=year, **{k: rng.choice(v) for k, v in
                                                                                 WORDS.items()})
                             for _ in range(rng.randint(2, 6)))
        paragraphs.append(numbering.format(n=n) + f"({marker}) " + sentences)
    text = (f"{header}{cls} {station} {serial:06d}{noforn}\n\nSIPDIS\n\nE.O. 12958: DECL: {month:02d}/01/"
            f"{year + 10}\nTAGS: {tags}\n\nSUBJECT: {subject}\n\nClassified By: Ambassador for reasons 1.4 (b) "
            f"and (d).\n\n" + "\n\n".join(paragraphs) + "\n")
    return f"{year % 100:02d}{station.replace(' ', '')}{serial}.txt", text


def _cpu_seconds(own: bool | None = None) -> float:
    """CPU time of this process (own=True), of its finished children, the parsing workers (own=False), or both."""
    total = 0.0
    for who, wanted in ((resource.RUSAGE_SELF, own is not False), (resource.RUSAGE_CHILDREN, own is not True)):
        if wanted:
            usage = resource.getrusage(who)
            total += usage.ru_utime + usage.ru_stime
    return total


QUERIES = [("labor recruiting fraud", SearchFilters()), ("labor recruiting fraud", SearchFilters(iso3="JPN")),
           ("debt bondage fishermen", SearchFilters()), ('"forced prostitution"', SearchFilters(year=2008)),
           ("disappointed", SearchFilters(reaction="disappointment")),
           ("passport confiscation", SearchFilters(tag="KTIP", classification="CONFIDENTIAL")),
           ("trainees immigration", SearchFilters(iso3="JPN", year=2009)),
           ("nurses OR caregivers", SearchFilters(iso3="PHL")), ("Nepali domestic workers", SearchFilters()),
           ("palm oil", SearchFilters(year=2010))]


def ingest_and_search(label: str, url: str, archive: Path, args: argparse.Namespace) -> None:
    """Ingest the archive into the database at `url` end to end, then time the searches; print both."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = session_factory(engine)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    report = ingest(factory, iter_cable_inputs([archive]), batch_size=args.batch_size, workers=args.workers)
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    print(f"{label} ingest: {report.files:,} files, {report.result}, {len(report.errors)} bad, in {elapsed:.1f} s: "
          f"{report.files / elapsed:,.0f} cables/s end to end ({args.workers} workers; target > 2,000 on SQLite)")
    print(f"{label} ingest CPU of this process and its workers: {cpu * 1000 / report.files:.2f} ms per cable, i.e. "
          f"at most {report.files * (os.cpu_count() or 1) / cpu:,.0f} cables/s on {os.cpu_count()} idle cores "
          f"(load average now {os.getloadavg()[0]:.1f}: the machine is shared)")
    if report.errors:
        print("first bad file:", report.errors[0], file=sys.stderr)
    if engine.dialect.name == "postgresql":  # as autovacuum leaves a table soon after a bulk load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE search_documents"))
    timings = []
    with factory() as session:
        for _ in range(5):
            for q, f in QUERIES:
                t = time.perf_counter()
                result = search(session, q, f, limit=20)
                timings.append((time.perf_counter() - t) * 1000)
                assert result.total >= 0
    timings.sort()
    print(f"{label} search: {len(timings)} queries (total count + first 20 with snippets), median "
          f"{statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95)]:.1f} ms, "
          f"max {timings[-1]:.1f} ms (target median < 50 ms)")
    engine.dispose()


@contextmanager
def private_schema(url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for the bench, dropped afterwards: the URL that uses it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- real cables ------------------------------------------------------------------------------------------

REAL_QUERIES = [("trafficking", SearchFilters()), ("human rights", SearchFilters()),
                ('"prime minister"', SearchFilters(iso3="ESP")), ("nuclear", SearchFilters(year=2009)),
                ("election fraud", SearchFilters(tag="PGOV")), ("corruption", SearchFilters(classification="SECRET")),
                ("disappointed", SearchFilters(reaction="disappointment")), ("Chavez OR Morales", SearchFilters()),
                ("visa -tourism", SearchFilters(iso3="BRA")), ("ambassador", SearchFilters(iso3="CHN", year=2010))]


def corpus_folder() -> Path:
    here = Path(__file__).resolve().parents[1]
    for parent in here.parents:
        if (parent / "shared" / "fixtures" / "cables-real" / "expected.json").is_file():
            return parent / "shared" / "fixtures" / "cables-real"
    raise SystemExit(f"the shared corpus is missing: no shared/fixtures/cables-real above {here}")


def real_sources() -> list[tuple[str, CableSource]]:
    pages = sorted((corpus_folder() / "pages").glob("*.html"))
    return [(p.stem, read_cable_file(p.read_bytes(), p.name)) for p in pages]


def parser_rate(pages: list[Path]) -> tuple[float, float, float]:
    """Cables per second of CPU on one core: reading the page and parsing; with the reactions coded; and with the
    rows to store made as well (`ParsedCable.of`: the fields as JSON, the text and the body compressed), which is
    all a parsing worker does per cable."""
    data = [(p.name, p.read_bytes()) for p in pages]
    best = (float("inf"), float("inf"), float("inf"))
    for _ in range(3):  # the best of three: the machine is shared, and others' load slows a core down
        started = time.process_time()
        found = [(n, read_cable_file(d, n)) for n, d in data]
        parsed = [parse_source(f, n, reference_hint(n)) for n, f in found]
        parse = time.process_time() - started
        codings = [code_reactions(cable) for cable in parsed]
        coded = time.process_time() - started
        for (n, f), cable, coding in zip(found, parsed, codings, strict=True):
            ParsedCable.of(cable, f.stored_text, n, coding)
        best = min(best, (parse, coded, time.process_time() - started))
    return len(data) / best[0], len(data) / best[1], len(data) / best[2]


def index_floor(sources: list[tuple[str, CableSource]], copies: int = 32) -> tuple[float, int]:
    """CPU ms per cable that SQLite's FTS5 alone takes to index the real cables' bodies (the tokenizer, porter
    stemming and the index's segments, in the migrated search_fts table, 500 rows per statement), and over how many
    cables: the part of the writing process's work that no change in Python can take away."""
    import sqlite3

    bodies = [parse_source(f, n, reference_hint(n)).body for n, f in sources] * copies
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fts.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        engine.dispose()
        connection = sqlite3.connect(path)
        started = time.process_time()
        for i in range(0, len(bodies), 500):
            part = bodies[i:i + 500]
            connection.execute("INSERT INTO search_fts(rowid, title, body, facets) VALUES "
                               + ", ".join(["(?, ?, ?, ?)"] * len(part)),
                               [v for k, body in enumerate(part) for v in (i + k + 1, "SUBJECT", body, "xall0")])
            connection.commit()
        elapsed = time.process_time() - started
        connection.close()
    return elapsed * 1000 / len(bodies), len(bodies)


class LoadSampler:
    """The machine's 1-minute load average, sampled every few seconds while a run lasts (the machine is shared:
    others' load is part of any wall-clock figure)."""

    def __init__(self, every: float = 2.0):
        self.samples: list[float] = []
        self._every, self._stop = every, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self.samples.append(os.getloadavg()[0])
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def __str__(self) -> str:
        return (f"load average during the run: mean {statistics.mean(self.samples):.1f}, max {max(self.samples):.1f} "
                f"on {os.cpu_count()} cores")


def process_cpu(pids: set[int]) -> float:
    """CPU seconds used so far by these processes of this machine (/proc; 0 for one that is gone or unreadable):
    the PostgreSQL server's backends that serve this bench's connections (its walwriter and checkpointer, shared
    with other clients, are not counted)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            values = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(values[11]) + int(values[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def watch_backends(engine: Engine) -> set[int]:
    """The process ids of the PostgreSQL backends of the engine's connections, filled as they are opened."""
    pids: set[int] = set()

    def connected(dbapi_connection: Any, _record: Any) -> None:
        pids.add(int(dbapi_connection.execute("SELECT pg_backend_pid()").fetchone()[0]))

    event.listen(engine, "connect", connected)
    return pids


def write_release_csv(path: Path, n: int) -> int:
    """The corpus replicated to `n` rows of cables.csv; the bytes of text (header and text, as stored)."""
    sources = real_sources()
    size = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)
        for i in range(n):
            ref, found = sources[i % len(sources)]
            copy = i // len(sources)
            m = re.match(r"^(\d{2}[A-Z]+?)(\d+)$", ref)
            assert m is not None and found.release is not None
            new_ref = f"{m[1]}{int(m[2]) + copy * 100_000}" if copy else ref
            created = found.release.created
            writer.writerow([i + 1, created.strftime("%m/%d/%Y %H:%M") if created else "", new_ref,
                             found.release.origin or "", found.release.classification or "", "",
                             found.header or "", found.text])
            size += len(found.stored_text.encode("utf-8"))
    return size


def database_size(engine: Engine) -> dict[str, int]:
    """Bytes on disk per table, indexes included (SQLite: dbstat; PostgreSQL: pg_total_relation_size)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(text("SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN "
                                     "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                                     "AND c.relkind = 'r'")).all()
        else:
            try:
                rows = conn.execute(text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")).all()
            except Exception:  # a SQLite built without dbstat: the file's size only
                rows = [("(the whole file)", conn.execute(text("PRAGMA page_count")).scalar_one()
                         * conn.execute(text("PRAGMA page_size")).scalar_one())]
    return {str(name): int(size) for name, size in rows}


def real_ingest(label: str, url: str, source: Path, text_bytes: int, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    backends = watch_backends(engine) if engine.dialect.name == "postgresql" else set()
    migrate.upgrade(engine)
    factory = session_factory(engine)
    postgres = engine.dialect.name == "postgresql"
    started, own_started, workers_started = time.perf_counter(), _cpu_seconds(True), _cpu_seconds(False)
    server_started = process_cpu(backends)
    done = [0]

    def progress(k: int) -> None:
        done[0] += k
        if done[0] % 25_000 < k:
            print(f"  {label}: {done[0]:,} cables, {done[0] / (time.perf_counter() - started):,.0f}/s, load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)

    with LoadSampler() as load:
        report = ingest(factory, iter_cable_inputs([source]), batch_size=args.batch_size, workers=args.workers,
                        progress=progress)
    elapsed = time.perf_counter() - started
    own, workers = _cpu_seconds(True) - own_started, _cpu_seconds(False) - workers_started
    server = process_cpu(backends) - server_started
    cpu = own + workers + server
    per = 1000 / report.files
    print(f"{label} ingest: {report.files:,} cables, {report.result}, {len(report.errors)} bad, in {elapsed:.1f} s: "
          f"{report.files / elapsed:,.0f} cables/s end to end ({args.workers} parsing workers; target >= 2,000)")
    print(f"{label} CPU per cable: {cpu * per:.2f} ms = workers (read, parse, code, make rows) {workers * per:.2f} + "
          f"this process (read the CSV, store, index, commit) {own * per:.2f}"
          + (f" + its PostgreSQL backends {server * per:.2f}" if postgres else "")
          + f"; at most {report.files * (os.cpu_count() or 1) / cpu:,.0f} cables/s on {os.cpu_count()} idle cores, "
          f"this process alone at most {report.files / own:,.0f}/s; {load}")
    print(f"{label} peak memory: this process {_max_rss(resource.RUSAGE_SELF):.0f} MB, the largest worker "
          f"{_max_rss(resource.RUSAGE_CHILDREN):.0f} MB (target < 500 MB)")
    if report.errors:
        print("first bad row:", report.errors[0], file=sys.stderr)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    sizes = database_size(engine)
    total = sum(sizes.values())
    biggest = ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in
                        sorted(sizes.items(), key=lambda kv: -kv[1])[:6])
    print(f"{label} storage: {total / 2**20:,.0f} MiB for {text_bytes / 2**20:,.0f} MiB of text: "
          f"{total / text_bytes:.2f} x the text, {total / report.files / 1024:.1f} KiB per cable (target <= 2 x); "
          f"{biggest}")
    timings = []
    with factory() as session:
        for _ in range(5):
            for q, f in REAL_QUERIES:
                t = time.perf_counter()
                search(session, q, f, limit=20)
                timings.append((time.perf_counter() - t) * 1000)
    print(f"{label} search: {len(timings)} queries (count + first 20 with snippets), median "
          f"{statistics.median(timings):.1f} ms, p95 {sorted(timings)[int(len(timings) * 0.95)]:.1f} ms "
          f"(target median < 50 ms; load average {os.getloadavg()[0]:.1f})")
    pages = []
    with factory() as session:
        for iso3, filters in [("ESP", {}), ("BRA", {"year": 2009}), ("CHN", {"tag": "PREL"}),
                              ("TUR", {"classification": "CONFIDENTIAL"}), ("JPN", {"reaction": "disappointment"}),
                              ("ESP", {"offset": 2000})]:
            for _ in range(3):
                t = time.perf_counter()
                timeline_page(session, iso3, limit=50, **filters)  # type: ignore[arg-type]
                pages.append((time.perf_counter() - t) * 1000)
    print(f"{label} country timeline (a page of 50, filtered): median {statistics.median(pages):.1f} ms, "
          f"max {max(pages):.1f} ms (target < 100 ms)")
    engine.dispose()


def _max_rss(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def main_real(args: argparse.Namespace) -> None:
    pages = sorted((corpus_folder() / "pages").glob("*.html"))
    parse, both, rows = parser_rate(pages)
    print(f"parser on one core (CPU time, {len(pages)} real cables): {parse:,.0f} cables/s reading the page and "
          f"parsing ({1000 / parse:.2f} ms CPU per cable); {both:,.0f}/s with the reactions coded "
          f"({1000 / both:.2f} ms); {rows:,.0f}/s with the rows to store made too ({1000 / rows:.2f} ms, a worker's "
          f"whole work per cable; load average {os.getloadavg()[0]:.1f})")
    floor, indexed = index_floor(real_sources())
    cores = os.cpu_count() or 1
    print(f"SQLite's FTS5 alone indexes a cable's body in {floor:.2f} ms CPU (the first {indexed:,} "
          f"cables): with a worker's {1000 / rows:.2f} ms, {cores} cores allow at most "
          f"{cores * 1000 / (floor + 1000 / rows):,.0f} cables/s before anything else is stored")
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        source = Path(tmp) / "cables.csv"
        started = time.perf_counter()
        text_bytes = write_release_csv(source, args.n)
        print(f"wrote {args.n:,} rows of cables.csv ({source.stat().st_size / 2**20:,.0f} MiB, "
              f"{text_bytes / args.n / 1024:.1f} KiB of text per cable) in {time.perf_counter() - started:.0f} s")
        if not args.skip_sqlite:
            real_ingest("SQLite", f"sqlite:///{tmp}/bench.db", source, text_bytes, args)
        if args.postgres:
            with private_schema(args.postgres) as url:
                real_ingest("PostgreSQL", url, source, text_bytes, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="how many cables (default 100,000)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2008)
    parser.add_argument("--postgres", metavar="URL", help="also ingest and search on this PostgreSQL server, in a "
                        "schema of its own dropped afterwards, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--real", action="store_true", help="the shared corpus of real cables, replicated to --n")
    parser.add_argument("--skip-sqlite", action="store_true", help="with --postgres: PostgreSQL only")
    parser.add_argument("--tmp", help="where the CSV and the SQLite database go (default: the system's temp folder)")
    args = parser.parse_args()
    if args.real:
        main_real(args)
        return
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "cables.zip"
        started = time.perf_counter()
        names: set[str] = set()
        size = 0
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
            while len(names) < args.n:
                name, body = synthetic_cable(rng)
                if name not in names:
                    names.add(name)
                    size += len(body)
                    z.writestr(name, body)
        print(f"generated {args.n:,} cables ({size / 1e6:.0f} MB, mean {size // args.n:,} chars) "
              f"in {time.perf_counter() - started:.1f} s")
        ingest_and_search("SQLite", f"sqlite:///{tmp}/bench.db", archive, args)
        if args.postgres:
            with private_schema(args.postgres) as url:
                ingest_and_search("PostgreSQL", url, archive, args)


if __name__ == "__main__":
    main()
