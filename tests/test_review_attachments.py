"""A government's liaison attaches a file (e.g. a copy of the law article) to a dispute or comment: stored once per
SHA-256, shown beside the claim in the workspace and the review page, downloadable by staff and by the liaison who
sent it, and by the public only once the report is published and only if the government marked it publishable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from test_review_web import as_user, ok
from test_submissions_web import PASSWORD, open_site
from tiptiers.cli import app as cli
from tiptiers.store.attachments import MAX_ATTACHMENT_BYTES, Attachment
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence, set_state
from tiptiers.store.reviews import ClaimResponse, send_request
from tiptiers.store.users import create_user

DRAFT = date.today().year + 1  # in preparation
PUBLISHED = 2015  # a published report year (history), yet its review may still take answers
LAW = b"Penal Code art. 226-2 (buying and selling of persons), as amended in 2005."
ACCOUNTS = {"ana": ("analyst", None, None), "rev": ("reviewer", None, None), "tanaka": ("liaison", "JPN", None),
            "sato": ("liaison", "JPN", None), "wang": ("liaison", "CHN", None),
            "polaris": ("ngo", None, "Polaris Project")}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict[str, Any]]:
    yield from open_site(tmp_path_factory, ACCOUNTS)


def _claims(site, year: int, n: int = 1) -> list[int]:
    with transaction(site["db"].sessions) as s:
        ids = [add_evidence(s, iso3="JPN", year=year, criteria=["criterion_1"], source_type="ngo",
                            source_name="an NGO", entered_by="ana",
                            statement=f"Japanese law does not criminalise fraudulent recruitment ({year}, {i}).").id
               for i in range(n)]
    with transaction(site["db"].sessions) as s:
        send_request(s, "JPN", year, "ana")
    return ids


def _upload(client, content: bytes = LAW, name: str = "penal-code-226-2.txt") -> dict[str, Any]:
    return ok(client.post("/api/v1/attachments", files={"file": (name, content, "text/plain")}), 201)


def _respond(client, year: int, claim: int, **body: Any):
    kind = body.pop("kind", "dispute")
    return client.post(f"/api/v1/reviews/JPN/{year}/claims/{claim}/responses", json={
        "kind": kind, "text": "The law exists.", "counter_evidence": "Penal Code art. 226-2", **body})


def test_a_dispute_carries_a_file_that_only_staff_and_its_sender_download_before_publication(site):
    [claim] = _claims(site, DRAFT)
    tanaka = as_user(site, "tanaka")
    stored = _upload(tanaka)
    answer = ok(_respond(tanaka, DRAFT, claim, attachment_sha256=stored["sha256"], attachment_public=True), 201)
    assert answer["attachment"] == stored and answer["attachment_public"] is True

    for who in ("ana", "rev", "tanaka"):
        got = as_user(site, who).get(f"/api/v1/attachments/{stored['sha256']}")
        assert got.status_code == 200 and got.content == LAW, who
    # another liaison of the same government, another government's, an NGO, the public: as if no such file
    for who in ("sato", "wang", "polaris", None):
        got = as_user(site, who).get(f"/api/v1/attachments/{stored['sha256']}")
        assert got.status_code == 404 and LAW not in got.content, who

    # beside the claim, in the analysts' workspace and on the review page
    for who, url in (("ana", f"/workspace/JPN/{DRAFT}"), ("tanaka", f"/review/JPN/{DRAFT}")):
        page = as_user(site, who).get(url, headers={"Accept": "text/html"})
        claim_html = page.text.split(f'id="claim-{claim}"')[1].split("</li>")[0]
        assert f'href="/api/v1/attachments/{stored["sha256"]}"' in claim_html and "penal-code-226-2.txt" in claim_html
        assert "allows its publication" in claim_html
    draft = ok(tanaka.get(f"/api/v1/reviews/JPN/{DRAFT}"))
    [reply] = [r for c in draft["claims"] if c["id"] == claim for r in c["responses"]]
    assert reply["attachment"]["sha256"] == stored["sha256"] and reply["attachment_public"] is True


def test_the_public_downloads_a_file_of_a_published_report_only_if_the_government_allows_it(site):
    publishable, private, withdrawn = _claims(site, PUBLISHED, 3)
    tanaka, public = as_user(site, "tanaka"), as_user(site, None)
    files = [_upload(tanaka, LAW + bytes([i]), f"law-{i}.txt")["sha256"] for i in range(3)]
    ok(_respond(tanaka, PUBLISHED, publishable, attachment_sha256=files[0], attachment_public=True), 201)
    ok(_respond(tanaka, PUBLISHED, private, kind="comment", attachment_sha256=files[1]), 201)  # default: not public
    ok(_respond(tanaka, PUBLISHED, withdrawn, attachment_sha256=files[2], attachment_public=True), 201)
    with transaction(site["db"].sessions) as s:
        set_state(s, withdrawn, "withdrawn", "ana", "the source recanted")  # the report prints no reply to it
    got = public.get(f"/api/v1/attachments/{files[0]}")
    assert got.status_code == 200 and got.content == LAW + b"\x00"
    assert "attachment" in got.headers["content-disposition"]
    assert public.get(f"/api/v1/attachments/{files[1]}").status_code == 404
    assert public.get(f"/api/v1/attachments/{files[2]}").status_code == 404
    assert as_user(site, "ana").get(f"/api/v1/attachments/{files[1]}").status_code == 200


def test_the_published_narrative_links_the_publishable_file_beside_the_governments_words(site):
    shown, kept = _claims(site, 2008, 2)  # 2008: a published report year with Japan placed
    tanaka, public = as_user(site, "tanaka"), as_user(site, None)
    files = [_upload(tanaka, LAW + b"2008" + bytes([i]), f"law-2008-{i}.txt")["sha256"] for i in range(2)]
    ok(_respond(tanaka, 2008, shown, kind="comment", attachment_sha256=files[0], attachment_public=True), 201)
    ok(_respond(tanaka, 2008, kept, kind="comment", attachment_sha256=files[1]), 201)  # not for publication
    narrative = public.get("/api/v1/narratives/JPN/2008.json")
    assert narrative.status_code == 200, narrative.text
    linked = {k["file_url"] for c in narrative.json()["claims"] for k in c["comments"]} - {""}
    assert linked == {f"/api/v1/attachments/{files[0]}"}
    html = public.get("/narratives/JPN/2008", headers={"Accept": "text/html"}).text
    assert f'href="/api/v1/attachments/{files[0]}"' in html and "law-2008-0.txt" in html
    assert files[1] not in html and "law-2008-1.txt" not in html
    assert public.get(f"/api/v1/attachments/{files[0]}").status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "confirm", "counter_evidence": ""}, "attachment_sha256: only a dispute or a comment carries a file"),
    ({"attachment_sha256": None, "attachment_public": True}, "attachment_public: there is no file to publish"),
    ({"attachment_sha256": "ab" * 32}, "attachment_sha256: no file you uploaded"),
    ({"attachment_sha256": "x" * 65}, "attachment_sha256"),
])
def test_bad_attachments_are_refused_naming_the_field_and_store_nothing(site, body, field):
    [claim] = _claims(site, DRAFT)
    tanaka = as_user(site, "tanaka")
    own = _upload(tanaka)["sha256"]
    body = {"attachment_sha256": own, **body}
    with site["db"].sessions() as s:
        before = s.scalar(select(func.count()).select_from(ClaimResponse))
    refused = _respond(tanaka, DRAFT, claim, **body)
    assert refused.status_code == 422 and field in refused.text, refused.text
    with site["db"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(ClaimResponse)) == before


def test_a_liaison_cannot_cite_a_file_it_did_not_upload(site):
    """Naming another's file by its SHA-256 would hand the liaison its contents: refused like a file that does not
    exist, so the answer tells nothing about other files either."""
    [claim] = _claims(site, DRAFT)
    ngo_file = _upload(as_user(site, "ana"), b"an NGO's confidential interview notes")["sha256"]
    refused = _respond(as_user(site, "tanaka"), DRAFT, claim, attachment_sha256=ngo_file)
    assert refused.status_code == 422 and "no file you uploaded" in refused.text
    assert as_user(site, "tanaka").get(f"/api/v1/attachments/{ngo_file}").status_code == 404


def test_the_size_limit_is_that_of_every_attachment_and_a_file_is_stored_once(site):
    tanaka = as_user(site, "tanaka")
    big = tanaka.post("/api/v1/attachments", files={"file": ("big.pdf", b"x" * (MAX_ATTACHMENT_BYTES + 1))})
    assert big.status_code == 422 and big.json()["error"]["detail"].startswith("file: ")
    with site["db"].sessions() as s:
        before = s.scalar(select(func.count()).select_from(Attachment))
    first, second = _upload(tanaka, b"the same law twice"), _upload(as_user(site, "sato"), b"the same law twice")
    assert first["sha256"] == second["sha256"]
    with site["db"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == before + 1
    # each sender may cite and fetch the file it sent, the same bytes
    assert as_user(site, "sato").get(f"/api/v1/attachments/{first['sha256']}").status_code == 200


def test_a_reply_received_by_letter_gets_its_file_from_the_command_line(site, tmp_path):
    [claim] = _claims(site, DRAFT)
    law = tmp_path / "article-226-2.txt"
    law.write_bytes(LAW + b" (by letter)")
    runner = CliRunner()
    env = {"TIPTIERS_DATABASE_URL": site["db"].url}
    done = runner.invoke(cli, ["review", "respond", "JPN", str(DRAFT), str(claim), "dispute", "--text", "By letter.",
                               "--counter-evidence", "Penal Code", "--file", str(law), "--publishable",
                               "--as", "tanaka"], env=env)
    assert done.exit_code == 0, done.output
    listed = json.loads(runner.invoke(cli, ["review", "claims", "JPN", str(DRAFT), "--json"], env=env).output)
    [reply] = [r for c in listed if c["id"] == claim for r in c["responses"]]
    assert reply["attachment"]["filename"] == "article-226-2.txt" and reply["attachment"]["public"] is True
    refused = runner.invoke(cli, ["review", "respond", "JPN", str(DRAFT), str(claim), "confirm", "--file", str(law)],
                            env=env)
    assert refused.exit_code == 2 and "attachment_sha256: only a dispute or a comment" in refused.output


def test_the_store_keeps_the_file_with_the_reply_and_says_when_the_public_may_have_it(fresh_db):
    """The same rules on SQLite and PostgreSQL, in the store."""
    from datetime import datetime

    from tiptiers.sources.placements import parse_placements
    from tiptiers.store.attachments import note_upload, store_attachment, uploaded_by
    from tiptiers.store.placements import import_placements, sync_countries
    from tiptiers.store.publication import attachment_is_public, schedule_publication
    from tiptiers.store.reviews import claims, respond

    with transaction(fresh_db.sessions) as s:
        sync_countries(s)
        tanaka = create_user(s, "tanaka", "liaison", PASSWORD, "JPN")
        ids = [add_evidence(s, iso3="JPN", year=DRAFT, criteria=["criterion_1"], source_type="ngo", source_name="n",
                            entered_by="ana", statement=f"Claim {i}.").id for i in range(2)]
        send_request(s, "JPN", DRAFT, "ana")
    with transaction(fresh_db.sessions) as s:
        sha = store_attachment(s, "law.txt", LAW, "text/plain", "tanaka").sha256
        note_upload(s, sha, tanaka.id)
        note_upload(s, sha, tanaka.id)  # the same upload twice is one record
        respond(s, "JPN", DRAFT, ids[0], "dispute", "No.", "tanaka", counter_evidence="Penal Code",
                attachment_sha256=sha, attachment_public=True)
        respond(s, "JPN", DRAFT, ids[1], "comment", "See the law.", "tanaka", attachment_sha256=sha.upper())
    with fresh_db.sessions() as s:
        assert uploaded_by(s, sha, tanaka.id) and not uploaded_by(s, sha, tanaka.id + 1)
        replies = [r for c in claims(s, "JPN", DRAFT) for r in c.comments]
        assert [(r.attachment.filename if r.attachment else None, r.attachment_public) for r in replies] == [
            ("law.txt", True), ("law.txt", False)]
        assert not attachment_is_public(s, sha)  # the report is not published yet
        assert not attachment_is_public(s, sha, now=datetime(DRAFT, 6, 2))  # nor on June 1: nobody published it
    with transaction(fresh_db.sessions) as s:
        import_placements(s, parse_placements(f"iso3,year,tier\nJPN,{DRAFT},2\n"), "t.csv")
        schedule_publication(s, DRAFT, datetime(DRAFT, 6, 1), "admin", ignore_gate=True)
    with fresh_db.sessions() as s:
        assert attachment_is_public(s, sha, now=datetime(DRAFT, 6, 2))  # published, and the government allowed it
        assert not attachment_is_public(s, "0" * 64, now=datetime(DRAFT, 6, 2))
