"""The cable parser under generated input: mutations of the real cable 08TOKYO1528 (truncations, byte flips,
inserted garbage, binary data, huge lines, shuffled and dropped lines). For every input, the pipeline that
`tiptiers ingest cables` runs on a file (decode, parse, code reactions, to_dict for the JSON column) either
returns a well-formed Cable or raises the documented CableParseError, within a bounded time.

`check_cable_bytes` and `mutated_cables` are reused by bench/fuzz.py for a longer run.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiptiers.sources.cables import CableParseError, decode, parse_cable, reference_hint
from tiptiers.sources.reactions import code_reactions

FIXTURE = Path("/work/shared/fixtures/cables/08TOKYO1528.txt")
if not FIXTURE.exists():  # a clone with shared/ beside the repository
    FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "cables" / "08TOKYO1528.txt"
SEED = FIXTURE.read_bytes()
SEED_LINES = SEED.split(b"\n")
PER_INPUT_SECONDS = 5.0  # a generous bound on one input (the real cable takes a few milliseconds)
REFERENCE = re.compile(r"^\d{2}[A-Z0-9]+\d+$")

# pieces a mutation may insert: cable syntax, so mutants stay close to what the parser looks for
TOKENS = [b"CONFIDENTIAL TOKYO 001528", b"C O N F I D E N T I A L", b"UNCLAS", b"SECRET", b"VZCZC", b"DE RUEHKO #",
          b"FM AMEMBASSY", b"TO ", b"INFO ", b"BT", b"E.O. 12958: DECL: 06/03/2018", b"DECL: 13/45/9999", b"TAGS:",
          b"SUBJECT:", b"REF:", b"Classified By:", b"11. (C)", b"- 12.", b"\xc2\xb64.", b"(SBU)", b"Summary:",
          b"End Summary.", b"SCHIEFFER", b"042255Z JUN 08", b"999999Z XXX 99", b"\r", b"\r\n", b"\t", b"\x0c",
          b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b"Tier 2", b"2008 TIP Report", b'"completely false,"', b"  "]


class InputTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt a hung parse (e.g. catastrophic regex backtracking) instead of hanging the run."""

    def expire(signum: int, frame: object) -> None:
        raise InputTimeout(f"one input took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_cable_bytes(data: bytes, name: str = "fuzz/08TOKYO1528.txt") -> str:
    """Run the ingest pipeline of one file; 'parsed' or 'refused'. Anything else (another exception, a hang, a
    malformed result) propagates as the finding."""
    started = time.perf_counter()
    with time_limit(PER_INPUT_SECONDS):
        try:
            text = decode(data, source=name)
            cable = parse_cable(text, source=name, reference_hint=reference_hint(name))
        except CableParseError as exc:
            assert str(exc).startswith(f"{name}: ") and len(str(exc)) > len(name) + 2, exc
            return "refused"
        coding = code_reactions(cable)
        json.dumps(cable.to_dict())  # stored in a JSON column: must serialise
    assert time.perf_counter() - started < PER_INPUT_SECONDS
    assert REFERENCE.match(cable.reference_id), cable.reference_id
    assert cable.paragraphs and all(isinstance(p.text, str) for p in cable.paragraphs)
    assert cable.iso3 is None or len(cable.iso3) == 3
    assert len(cable.text_sha256) == 64
    assert all(c.citations for c in coding.reactions)
    return "parsed"


# --- mutations ----------------------------------------------------------------------------------------------

def _truncate(draw: st.DrawFn, data: bytes) -> bytes:
    return data[:draw(st.integers(0, len(data)))]


def _flip(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if out:
            at = draw(st.integers(0, len(out) - 1))
            out[at] ^= draw(st.integers(1, 255))
    return bytes(out)


def _insert(draw: st.DrawFn, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    piece = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=64)))
    return data[:at] + piece + data[at:]


def _delete(draw: st.DrawFn, data: bytes) -> bytes:
    start = draw(st.integers(0, len(data)))
    return data[:start] + data[start + draw(st.integers(1, 400)):]


def _huge_line(draw: st.DrawFn, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    unit = draw(st.sampled_from([b"A", b" ", b"1", b"-", b". ", b"(C) ", b"TIER 2 ", b"\xc2\xb6", b"RUEHKO ", b"11. ",
                                 b"said Kawai, ", b"\t"]))
    return data[:at] + unit * draw(st.integers(1_000, 60_000 // len(unit))) + data[at:]


def _lines(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.split(b"\n")
    if not lines:
        return data
    action = draw(st.sampled_from(["drop", "duplicate", "swap", "blank", "seed_line"]))
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    if action == "drop":
        del lines[i]
    elif action == "duplicate":
        lines.insert(j, lines[i])
    elif action == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif action == "blank":
        lines.insert(i, b"")
    else:
        lines.insert(i, draw(st.sampled_from(SEED_LINES)))
    return b"\n".join(lines)


MUTATIONS = [_truncate, _flip, _insert, _delete, _huge_line, _lines]


@st.composite
def mutated_cables(draw: st.DrawFn) -> bytes:
    """The real cable with one to four mutations, or (rarely) plain binary data."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=4096))
    data = SEED
    for _ in range(draw(st.integers(1, 4))):
        data = draw(st.sampled_from(MUTATIONS))(draw, data)
    return data


# --- tests --------------------------------------------------------------------------------------------------

def test_the_unmutated_fixture_parses():
    assert check_cable_bytes(SEED) == "parsed"


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_cables())
def test_mutated_cables_parse_or_raise_the_documented_error(data):
    check_cable_bytes(data)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(["x/08TOKYO1528.txt", "x/junk.bin", "a.zip:c/99ZZZ1.TXT"]))
def test_arbitrary_bytes_parse_or_raise_the_documented_error(data, name):
    check_cable_bytes(data, name)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=2000))
def test_arbitrary_text_after_a_classification_line(text):
    check_cable_bytes(b"CONFIDENTIAL TOKYO 001528\n\n" + text.encode("utf-8"))


def test_the_time_limit_really_interrupts_a_hang():
    started = time.perf_counter()
    try:
        with time_limit(0.2):
            while True:
                pass
    except InputTimeout:
        pass
    assert time.perf_counter() - started < 2
