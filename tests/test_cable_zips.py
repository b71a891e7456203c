"""Zip archives of cables as an outside tester sends them: bombs, too many members, encrypted members, methods
zipfile cannot read, CRC errors, unsafe names. Each bad member is one bad file; everything else is ingested."""

from __future__ import annotations

import json
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import test_cables_corpus as corpus
from conftest import TestDatabase as Database
from tiptiers.cli import app
from tiptiers.sources.cable_files import ZipLimits, iter_cable_inputs

runner = CliRunner()


def cable(serial: int) -> str:
    """The real fixture as another cable of the same post (its own reference id)."""
    return corpus.original().replace("#1528", f"#{serial}").replace("TOKYO 001528", f"TOKYO {serial:06d}")


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def patch_member(path: Path, member: str, *, flags: int | None = None, method: int | None = None,
                 flip_data_byte: bool = False) -> None:
    """Rewrite one member's local and central headers as another archiver would have written them."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    local = info.header_offset
    central = data.index(b"PK\x01\x02")  # the first central directory entry...
    while data[central + 46:central + 46 + len(info.filename)] != info.filename.encode():
        central = data.index(b"PK\x01\x02", central + 4)  # ...up to this member's
    if flags is not None:
        struct.pack_into("<H", data, local + 6, flags)
        struct.pack_into("<H", data, central + 8, flags)
    if method is not None:
        struct.pack_into("<H", data, local + 8, method)
        struct.pack_into("<H", data, central + 10, method)
    if flip_data_byte:
        name_length, extra_length = struct.unpack_from("<HH", data, local + 26)
        at = local + 30 + name_length + extra_length + 200
        data[at] ^= 0x20
    path.write_bytes(bytes(data))


def read(path: Path, limits: ZipLimits = ZipLimits()) -> dict[str, str | None]:
    """member -> its error (None: read)."""
    return {item.name.split(":", 1)[1] if ":" in item.name else item.name: item.error
            for item in iter_cable_inputs([path], limits)}


@pytest.fixture
def db(tmp_path_factory):
    database = Database("sqlite", tmp_path_factory)
    yield database
    database.drop()


def ingest_json(db, *args) -> tuple[int, dict]:
    result = runner.invoke(app, ["ingest", "cables", *map(str, args), "--json", "--workers", "1"],
                           env={"TIPTIERS_DATABASE_URL": db.url})
    return result.exit_code, json.loads(result.stdout)


def test_a_one_gib_member_is_refused_unread_and_the_rest_ingested(db, tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("a/08TOKYO1.txt", cable(1))
        with z.open("a/big.txt", "w", force_zip64=True) as f:
            block = b" " * 2**24
            for _ in range(64):
                f.write(block)
        z.writestr("a/08TOKYO3.txt", cable(3))
    assert bomb.stat().st_size < 8 * 2**20
    tracemalloc.start()
    started = time.perf_counter()
    try:
        errors = read(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 32 * 2**20, f"{peak / 2**20:.0f} MiB held reading a 1 GiB member"
    assert errors["a/big.txt"] == "1 GiB unpacked: larger than a cable file can be (at most 16 MiB, " \
                                  "--max-member-size); not read"
    assert errors["a/08TOKYO1.txt"] is None and errors["a/08TOKYO3.txt"] is None
    code, summary = ingest_json(db, bomb)
    assert code == 1 and summary["added"] == 2 and [b["file"] for b in summary["bad"]] == [f"{bomb}:a/big.txt"]


def test_the_member_limit_is_exact(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"08TOKYO1.txt": cable(1), "big.txt": "x" * 4097,
                                            "max.txt": "x" * 4096})
    errors = read(archive, ZipLimits(max_member_bytes=4096))
    assert errors["big.txt"] == "4 KiB unpacked: larger than a cable file can be (at most 4 KiB, " \
                                "--max-member-size); not read"
    assert errors["08TOKYO1.txt"] is None and errors["max.txt"] is None


def test_too_many_members_refuses_the_archive_with_the_limit_named(tmp_path):
    archive = make_zip(tmp_path / "many.zip", {f"08TOKYO{i}.txt": cable(i) for i in range(1, 6)})
    errors = read(archive, ZipLimits(max_members=4))
    assert errors == {str(archive): "zip archive of 5 files: at most 4 are read from one archive (--max-members); "
                                    "nothing of it was read"}
    assert all(e is None for e in read(archive, ZipLimits(max_members=5)).values())


def test_too_much_in_total_refuses_the_archive_with_the_limit_named(tmp_path):
    archive = make_zip(tmp_path / "big.zip", {f"08TOKYO{i}.txt": cable(i) for i in range(1, 4)})
    total = sum(len(cable(i).encode()) for i in range(1, 4))
    (error,) = read(archive, ZipLimits(max_total_bytes=total - 1)).values()
    assert error is not None and "at most" in error and "(--max-total-size); nothing of it was read" in error
    assert all(e is None for e in read(archive, ZipLimits(max_total_bytes=total)).values())


def test_an_encrypted_member_is_one_bad_file(tmp_path):
    archive = make_zip(tmp_path / "e.zip", {"08TOKYO1.txt": cable(1), "08TOKYO2.txt": cable(2),
                                            "08TOKYO3.txt": cable(3)})
    patch_member(archive, "08TOKYO2.txt", flags=0x1)
    errors = read(archive)
    assert errors == {"08TOKYO1.txt": None, "08TOKYO3.txt": None,
                      "08TOKYO2.txt": "encrypted (password-protected): cannot be read; unpack it with its password"}


def test_a_compression_method_zipfile_cannot_read_is_one_bad_file(tmp_path):
    archive = make_zip(tmp_path / "m.zip", {"08TOKYO1.txt": cable(1), "08TOKYO2.txt": cable(2),
                                            "08TOKYO3.txt": cable(3)})
    patch_member(archive, "08TOKYO1.txt", method=9)
    errors = read(archive)
    assert errors["08TOKYO1.txt"] == ("compressed with Deflate64, which cannot be read; re-pack the archive with "
                                      "deflate (the usual zip compression)")
    assert errors["08TOKYO2.txt"] is None and errors["08TOKYO3.txt"] is None


def test_a_crc_error_in_the_first_member_does_not_skip_the_rest(tmp_path):
    archive = make_zip(tmp_path / "c.zip", {"08TOKYO1.txt": cable(1), "08TOKYO2.txt": cable(2),
                                            "08TOKYO3.txt": cable(3)})
    patch_member(archive, "08TOKYO1.txt", flip_data_byte=True)
    errors = read(archive)
    assert errors["08TOKYO1.txt"] is not None and "damaged in the archive: Bad CRC-32" in errors["08TOKYO1.txt"]
    assert errors["08TOKYO2.txt"] is None and errors["08TOKYO3.txt"] is None


@pytest.mark.parametrize("name", ["..\\..\\x.txt", "../../x.txt", "/etc/x.txt", "C:\\x.txt", "a/../../x.txt"])
def test_a_member_with_an_unsafe_name_is_reported_not_skipped_silently(tmp_path, name):
    archive = make_zip(tmp_path / "t.zip", {name: cable(1), "08TOKYO2.txt": cable(2)})
    errors = read(archive)
    assert errors == {name: "unsafe name (a path out of the archive's folder): not read", "08TOKYO2.txt": None}


def test_hidden_members_are_still_skipped(tmp_path):
    archive = make_zip(tmp_path / "h.zip", {".DS_Store": b"\0\0", "__MACOSX/._08TOKYO2.txt": b"\0",
                                            "a\\.hidden.txt": "x", "08TOKYO2.txt": cable(2)})
    assert read(archive) == {"08TOKYO2.txt": None}


def test_every_bad_member_is_reported_and_the_good_files_around_it_are_stored(db, tmp_path):
    """The finding as reported: a good file given before an archive with bad members was lost with it."""
    good = tmp_path / "08TOKYO9.txt"
    good.write_text(cable(9), encoding="utf-8")
    archive = make_zip(tmp_path / "mixed.zip", {"01-crc.txt": cable(1), "02-encrypted.txt": cable(2),
                                                "03-deflate64.txt": cable(3), "..\\..\\x.txt": cable(4),
                                                "05-good.txt": cable(5)})
    patch_member(archive, "01-crc.txt", flip_data_byte=True)
    patch_member(archive, "02-encrypted.txt", flags=0x1)
    patch_member(archive, "03-deflate64.txt", method=9)
    code, summary = ingest_json(db, good, archive)
    assert code == 1
    assert summary["added"] == 2 and summary["files"] == 6
    assert sorted(b["file"].rsplit(":", 1)[-1] for b in summary["bad"]) == [
        "..\\..\\x.txt", "01-crc.txt", "02-encrypted.txt", "03-deflate64.txt"]
    shown = runner.invoke(app, ["cable", "show", "08TOKYO9", "--json"], env={"TIPTIERS_DATABASE_URL": db.url})
    assert json.loads(shown.stdout)["reference_id"] == "08TOKYO9"


def test_the_limits_are_options_of_the_command(db, tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"08TOKYO1.txt": cable(1), "08TOKYO2.txt": cable(2)})
    code, summary = ingest_json(db, archive, "--max-members", "1")
    assert code == 1 and summary["added"] == 0 and "(--max-members)" in summary["bad"][0]["error"]
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (2 * 2**20))
    code, summary = ingest_json(db, big, "--max-member-size", "1")
    assert code == 1 and summary["bad"] == [{"file": str(big), "error": "2 MiB: larger than a cable file can be "
                                                                         "(at most 1 MiB)"}]
