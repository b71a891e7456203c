"""Where cables come from: files, folders, zip archives and the release's `cables.csv`, told apart by their content.

Pure reading, no parsing: `iter_cable_inputs(paths)` yields one `CableInput` per cable to parse (a file's bytes, or a
row of the CSV) and one per file that cannot be read, so the caller reports it like any other bad file and goes
on. Zip archives are read member by member within `ZipLimits` (a small archive can unpack to gigabytes); a CSV,
in a zip or not, is streamed row by row, so the 1.7 GB file of the full release is read in bounded memory.
"""

from __future__ import annotations

import bz2  # noqa: F401  (zipfile reads bzip2 members with it)
import csv
import io
import lzma
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

# The columns of the release's cables.csv (no header row): id, created (MM/DD/YYYY HH:MM), reference id, then origin
# and classification (in this order in the release; some copies swap them), references or destination, header,
# content. `sources.cables.parse_release_row` tells the columns apart by what they hold.
CSV_COLUMNS = 8
_CSV_START = re.compile(rb'^\s*"?\d+"?\s*,\s*"?\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}')
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member, or an empty archive
_SNIFF = 4096
_READABLE = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
             zipfile.ZIP_LZMA: "lzma"}
_DAMAGED = (zipfile.BadZipFile, OSError, EOFError, zlib.error, lzma.LZMAError, NotImplementedError, RuntimeError,
            ValueError)
_METHOD_NAMES = {9: "Deflate64", 6: "implode", 1: "shrink", 93: "zstd", 95: "xz", 98: "PPMd", 99: "AES encryption"}


class CableInput(NamedTuple):
    """One cable to parse, or one file that could not be read (`error` says why; nothing else is set)."""

    name: str  # the file, `archive.zip:member`, or `cables.csv:row 12` (the row's reference id when it has one)
    data: bytes = b""  # a file's bytes (a WikiLeaks HTML page or plain text), undecoded
    row: tuple[str, ...] | None = None  # a row of the release's cables.csv
    error: str | None = None


@dataclass(frozen=True)
class ZipLimits:
    """What one zip archive may unpack to. A cable file is a few kilobytes (the longest of the release a few hundred);
    the whole release as HTML pages is about 251,000 members and 12 GB."""

    max_members: int = 1_000_000
    max_member_bytes: int = 16 * 2**20
    max_total_bytes: int = 32 * 2**30


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor:
            return f"{n / factor:,.1f} {unit}".replace(".0 ", " ")
    return f"{n:,} bytes"


def _hidden(parts: Sequence[str]) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in parts) or "__MACOSX" in parts


def _member_parts(name: str) -> list[str]:
    """A member's path as its parts, whichever separator the archiver used (Windows archivers write `\\`)."""
    return [p for p in re.split(r"[/\\]", name) if p]


def _unsafe(name: str) -> bool:
    """A name that would land outside a folder it was unpacked into: `..` parts, an absolute or a drive path."""
    return name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name)) or ".." in _member_parts(name)


def sniff(head: bytes) -> str:
    """What a file is, from its first bytes: "zip", "csv" (the release's cables.csv) or "file" (a cable page or
    text, told apart when parsed)."""
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if _CSV_START.match(head.lstrip(b"\xef\xbb\xbf")):
        return "csv"
    return "file"


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p.relative_to(folder).parts))


def iter_cable_inputs(paths: Sequence[Path], limits: ZipLimits = ZipLimits()) -> Iterator[CableInput]:
    """Every cable under the paths: files, folders (recursively, hidden files skipped), zip archives and CSV files.

    Nothing here raises for a bad file: a path that does not exist, cannot be read, or is over a limit, and each bad
    member of an archive, is yielded as a `CableInput` with `error` set, and reading goes on."""
    for path in paths:
        if path.is_dir():
            yield from iter_cable_inputs(_folder_files(path), limits)
            continue
        if not path.is_file():
            yield CableInput(str(path), error="no such file")
            continue
        try:
            with path.open("rb") as f:
                head = f.read(_SNIFF)
                # by content; a file named .zip that is not one is a broken archive, not a cable text
                kind = "zip" if path.suffix.lower() == ".zip" else sniff(head)
                if kind == "file":
                    data = head + f.read(limits.max_member_bytes + 1 - len(head))
                    if len(data) > limits.max_member_bytes:
                        yield CableInput(str(path), error=f"{_size(path.stat().st_size)}: larger than a cable file "
                                                          f"can be (at most {_size(limits.max_member_bytes)})")
                    else:
                        yield CableInput(str(path), data)
                    continue
            if kind == "csv":
                with path.open("rb") as f:
                    yield from _csv_rows(str(path), f, head, limits.max_member_bytes)
            else:
                yield from _zip_members(path, limits)
        except OSError as exc:
            yield CableInput(str(path), error=f"cannot be read: {exc.strerror or exc}")


class InputCount(NamedTuple):
    total: int
    exact: bool  # False: a CSV's rows are estimated from its size and the size of its first rows


def count_cable_inputs(paths: Sequence[Path], limits: ZipLimits = ZipLimits()) -> InputCount:
    """How many inputs `iter_cable_inputs` will yield, for a progress bar, without reading the files: counted, except
    the rows of a CSV (the release's 1.7 GB cables.csv), which are estimated from its first rows."""
    total, exact = 0, True
    for path in paths:
        if path.is_dir():
            found = count_cable_inputs(_folder_files(path), limits)
            total, exact = total + found.total, exact and found.exact
            continue
        try:
            with path.open("rb") as f:
                head = f.read(_SNIFF)
                kind = "zip" if path.suffix.lower() == ".zip" else sniff(head)
                if kind == "csv":  # only a CSV is read further: its first rows, for the estimate
                    head += f.read(CSV_SAMPLE_BYTES - len(head))
        except OSError:
            total += 1
            continue
        if kind == "csv":
            rows, whole = _csv_rows_in(head, path.stat().st_size, limits.max_member_bytes)
            total, exact = total + rows, exact and whole
        elif kind == "zip":
            try:
                with zipfile.ZipFile(path) as archive:
                    members = [i for i in archive.infolist() if not i.is_dir() and not _hidden(
                        _member_parts(i.filename))]
                    if len(members) > limits.max_members:
                        total += 1
                        continue
                    for info in members:
                        if sniff_name(info.filename) != "csv":
                            total += 1
                            continue
                        with archive.open(info) as member:
                            rows, whole = _csv_rows_in(member.read(CSV_SAMPLE_BYTES), info.file_size,
                                                        limits.max_member_bytes)
                        total, exact = total + rows, exact and whole
            except (zipfile.BadZipFile, *_DAMAGED):
                total += 1
        else:
            total += 1
    return InputCount(total, exact)


CSV_SAMPLE_BYTES = 4 * 2**20  # the first rows a CSV's size is divided by (about 400 cables of the release)


def _csv_rows_in(head: bytes, size: int, max_field: int) -> tuple[int, bool]:
    """The rows of a CSV of `size` bytes that begins with `head`: counted when `head` is all of it, else estimated
    from the bytes its complete rows take (each field quoted, its quotes doubled, a comma or newline after it). A CSV
    not readable to the end of `head` is estimated from the rows before (reading it will say what is wrong)."""
    whole = len(head) >= size
    rows: list[list[str]] = []
    try:
        rows.extend(_csv_reader(io.StringIO(head.decode("utf-8", errors="replace"), newline=""), head[:_SNIFF],
                                max_field))
    except csv.Error:
        whole = False
    if not whole:
        rows = rows[:-1]  # the last may be cut short
    rows = [r for r in rows if r and r != [""]]
    if whole or not rows:
        return len(rows), whole
    used = sum(len(field.encode("utf-8")) + field.count('"') + 3 for row in rows for field in row)
    return max(len(rows), round(size * len(rows) / used)), False


def sniff_name(name: str) -> str:
    """A guess from a member's name, for counting only (reading goes by content)."""
    return "csv" if name.lower().endswith(".csv") else "file"


def _zip_members(path: Path, limits: ZipLimits) -> Iterator[CableInput]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield CableInput(str(path), error=f"bad zip archive: {exc}")
        return
    with archive:
        members = sorted((i for i in archive.infolist()
                          if not i.is_dir() and not _hidden(_member_parts(i.filename))), key=lambda i: i.filename)
        declared = sum(i.file_size for i in members)
        if len(members) > limits.max_members:
            yield CableInput(str(path), error=f"zip archive of {len(members):,} files: at most "
                                              f"{limits.max_members:,} are read from one archive (--max-members); "
                                              "nothing of it was read")
            return
        if declared > limits.max_total_bytes:
            yield CableInput(str(path), error=f"zip archive unpacks to {_size(declared)}: at most "
                                              f"{_size(limits.max_total_bytes)} are read from one archive "
                                              "(--max-total-size); nothing of it was read")
            return
        for info in members:
            yield from _member(archive, info, f"{path}:{info.filename}", limits)


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: ZipLimits) -> Iterator[CableInput]:
    """One member, read within the limits; every way it can be bad is one bad file, and the archive goes on."""
    if _unsafe(info.filename):
        yield CableInput(name, error="unsafe name (a path out of the archive's folder): not read")
        return
    if info.flag_bits & 0x1:
        yield CableInput(name, error="encrypted (password-protected): cannot be read; unpack it with its password")
        return
    if info.compress_type not in _READABLE:
        method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        yield CableInput(name, error=f"compressed with {method}, which cannot be read; re-pack the archive with "
                                     "deflate (the usual zip compression)")
        return
    try:
        with archive.open(info) as stream:
            head = stream.read(_SNIFF)
            if sniff(head) == "csv":
                yield from _csv_rows(name, io.BufferedReader(_Prepended(head, stream)), head, limits.max_member_bytes)
                return
            if info.file_size > limits.max_member_bytes:
                yield CableInput(name, error=f"{_size(info.file_size)} unpacked: larger than a cable file can be "
                                             f"(at most {_size(limits.max_member_bytes)}, --max-member-size); "
                                             "not read")
                return
            if sniff(head) == "zip":
                yield CableInput(name, error="a zip archive inside the archive: unpack it first")
                return
            data = head + stream.read(limits.max_member_bytes + 1 - len(head))
    except _DAMAGED as exc:  # a CRC error, truncated or corrupt data
        yield CableInput(name, error=f"damaged in the archive: {exc}")
        return
    if len(data) > limits.max_member_bytes:
        yield CableInput(name, error=f"larger than a cable file can be (at most {_size(limits.max_member_bytes)}, "
                                     "--max-member-size): not read")
        return
    yield CableInput(name, data)


class _Prepended(io.RawIOBase):
    """A stream with the bytes already read from it put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        chunk = self._rest.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def _csv_reader(text: IO[str], head: bytes, max_field: int) -> Iterator[list[str]]:
    """The release's cables.csv read from `text`: quotes inside a field doubled (RFC 4180) or, in some copies of the
    release, written \\" (as `head`, the file's first bytes, shows); a field up to `max_field` long."""
    csv.field_size_limit(max(max_field, csv.field_size_limit()))  # the default, 128 KiB, is shorter than some cables
    return csv.reader(text, strict=False, escapechar="\\" if b'\\"' in head else None)


def _csv_rows(name: str, stream: IO[bytes], head: bytes, max_field: int) -> Iterator[CableInput]:
    """The rows of the release's cables.csv, one at a time; a row that is not the release's is a bad file."""
    reader = _csv_reader(io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=""), head, max_field)
    number = 0
    try:
        for row in reader:
            number += 1
            if not row or row == [""]:
                continue
            where = f"{name}:row {number}" + (f" ({row[2].strip()})" if len(row) > 2 and row[2].strip() else "")
            if len(row) != CSV_COLUMNS:
                yield CableInput(where, error=f"{len(row)} columns; a row of the release's cables.csv has "
                                              f"{CSV_COLUMNS} (id, date, reference id, origin, classification, "
                                              "references, header, content)")
                continue
            yield CableInput(where, row=tuple(row))
    except csv.Error as exc:
        yield CableInput(f"{name}:row {number + 1}", error=f"not readable as CSV: {exc}; the rest of the file "
                                                           "was not read")
    except _DAMAGED as exc:
        yield CableInput(f"{name}:row {number + 1}", error=f"damaged in the archive: {exc}; the rest was not read")
