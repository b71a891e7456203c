"""A longer fuzzing run of the cable ingest pipeline (decode, parse, code reactions, to_dict) than the test suite's.

    .venv/bin/python bench/fuzz.py [--seconds 60] [--engine auto|atheris|hypothesis] [--findings DIR]

With atheris (coverage-guided libFuzzer, from PyPI) when it is installed, else hypothesis with the mutations of
tests/test_fuzz_cables.py at a large example budget. Every input must parse or raise CableParseError within the
per-input time bound; anything else is a finding, saved to --findings and printed. Prints inputs/s and findings.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


class Run:
    def __init__(self, findings_dir: Path):
        self.findings_dir = findings_dir
        self.inputs = 0
        self.outcomes: dict[str, int] = {"parsed": 0, "refused": 0}
        self.findings: dict[str, tuple[int, Path]] = {}  # kind -> (count, first input saved)
        self.started = time.perf_counter()
        self.stop_at: float | None = None
        self.engine = ""

    def one(self, data: bytes) -> None:
        from test_fuzz_cables import check_cable_bytes

        if self.stop_at is not None and time.monotonic() > self.stop_at:
            self.report(self.engine)
            sys.stdout.flush()
            os._exit(1 if self.findings else 0)  # libFuzzer would not return to run atexit handlers
        self.inputs += 1
        try:
            outcome = check_cable_bytes(data)
            self.outcomes[outcome] += 1
        except BaseException as exc:  # every other outcome is a finding, even a hang
            if isinstance(exc, KeyboardInterrupt):
                raise
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            kind = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            count, path = self.findings.get(kind, (0, Path()))
            if not count:
                self.findings_dir.mkdir(parents=True, exist_ok=True)
                path = self.findings_dir / f"finding-{hashlib.sha256(data).hexdigest()[:12]}.txt"
                path.write_bytes(data)
                print(f"finding: {kind}: {str(exc)[:200]} (input saved to {path})", flush=True)
            self.findings[kind] = (count + 1, path)

    def report(self, engine: str) -> None:
        elapsed = time.perf_counter() - self.started
        print(f"engine: {engine}")
        print(f"inputs: {self.inputs} in {elapsed:.1f} s = {self.inputs / elapsed:.0f} inputs/s")
        print(f"parsed: {self.outcomes['parsed']}, refused with CableParseError: {self.outcomes['refused']}")
        print(f"findings: {sum(c for c, _ in self.findings.values())} inputs, {len(self.findings)} distinct")
        for kind, (count, path) in sorted(self.findings.items()):
            print(f"  {count:6d}  {kind}  e.g. {path}")


def run_atheris(run: Run, seconds: int, corpus: Path) -> None:
    import atheris

    with atheris.instrument_imports(include=["tiptiers"]):
        import tiptiers.sources.cables
        import tiptiers.sources.reactions  # noqa: F401
    from test_fuzz_cables import SEED, TOKENS

    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "08TOKYO1528.txt").write_bytes(SEED)
    dictionary = corpus.parent / "cable.dict"  # cable syntax for libFuzzer to insert
    dictionary.write_text("".join('"' + "".join(f"\\x{b:02x}" for b in token) + '"\n' for token in TOKENS))
    argv = [sys.argv[0], "-timeout=0", "-max_len=262144", "-len_control=20", "-rss_limit_mb=4096",
            f"-dict={dictionary}", str(corpus)]
    run.engine = "atheris (libFuzzer, coverage-guided, seeded with 08TOKYO1528)"
    run.stop_at = time.monotonic() + seconds
    atheris.Setup(argv, run.one)
    atheris.Fuzz()  # run.one ends the process when the time is up


def run_hypothesis(run: Run, seconds: int) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    from test_fuzz_cables import mutated_cables

    deadline = time.monotonic() + seconds

    class TimeUp(Exception):
        pass

    @settings(max_examples=10**7, deadline=None, database=None, phases=[Phase.generate],  # no shrinking of TimeUp
              suppress_health_check=list(HealthCheck))
    @given(mutated_cables())
    def fuzz(data: bytes) -> None:
        if time.monotonic() > deadline:
            raise TimeUp
        run.one(data)

    with contextlib.suppress(TimeUp):
        fuzz()
    run.report("hypothesis (mutations of 08TOKYO1528)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz (default 60)")
    parser.add_argument("--engine", choices=["auto", "atheris", "hypothesis"], default="auto")
    parser.add_argument("--findings", type=Path, default=ROOT / "var" / "fuzz" / "findings",
                        help="where inputs that fail are saved")
    parser.add_argument("--corpus", type=Path, default=ROOT / "var" / "fuzz" / "corpus",
                        help="atheris's growing corpus (seeded with the real cable)")
    args = parser.parse_args()
    engine = args.engine
    if engine == "auto":
        engine = "atheris" if importlib.util.find_spec("atheris") else "hypothesis"
    run = Run(args.findings)
    if engine == "atheris":
        run_atheris(run, args.seconds, args.corpus)
    else:
        run_hypothesis(run, args.seconds)


if __name__ == "__main__":
    main()
