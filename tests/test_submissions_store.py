"""NGO accounts and their shadow reports in the store, on SQLite and PostgreSQL: each claim becomes unverified
evidence under the organisation's name, on record as the account's; a bad claim stores nothing at all; what the NGO
is shown keeps the government's unpublished answers out; migration 0010 keeps the accounts' sessions and tokens."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tiptiers.store import activity, migrate
from tiptiers.store.attachments import Attachment, note_upload, store_attachment
from tiptiers.store.checks import EvidenceError
from tiptiers.store.db import transaction
from tiptiers.store.evidence import Evidence, set_state
from tiptiers.store.placements import sync_countries
from tiptiers.store.reviews import respond, send_request
from tiptiers.store.submissions import (
    ClaimIn,
    Submission,
    SubmissionClaim,
    UploadedFile,
    list_submissions,
    set_note,
    submit,
    submitter_state,
)
from tiptiers.store.users import User, UserError, create_user, token_digest, user_for_token

PASSWORD = "correct horse battery staple"
YEAR = date.today().year + 1  # next June's report: in preparation, not published


def _accounts(db) -> dict[str, User]:
    with transaction(db.sessions) as s:
        sync_countries(s)
        made = {
            "polaris": create_user(s, "polaris", "ngo", PASSWORD, organisation="Polaris Project", actor="ann"),
            "lastrada": create_user(s, "lastrada", "ngo", PASSWORD, organisation="La Strada", actor="ann"),
            "ana": create_user(s, "ana", "analyst", PASSWORD, actor="ann"),
            "tanaka": create_user(s, "tanaka", "liaison", PASSWORD, "JPN", actor="ann"),
        }
    return made


def _counts(db) -> list[int]:
    with db.sessions() as s:
        return [s.scalar(select(func.count()).select_from(t)) or 0
                for t in (Evidence, Submission, SubmissionClaim, Attachment)] + [activity.count(s)]


def test_each_claim_becomes_unverified_evidence_of_the_organisation_on_record_as_the_account(fresh_db):
    users = _accounts(fresh_db)
    with transaction(fresh_db.sessions) as s:
        row = submit(s, users["polaris"], "jpn", YEAR, [
            ClaimIn("Recruiters deceived workers about their pay.", ["criterion_1"], date(2026, 3, 1),
                    "https://example.org/report"),
            ClaimIn("No shelter for male victims.", ["criterion_5", "standard_4"],
                    file=UploadedFile("report.pdf", b"%PDF-1.4 shadow report", "application/pdf")),
        ], title="Shadow report 2026")
        sub_id = row.id
    with fresh_db.sessions() as s:
        [sub] = list_submissions(s, users["polaris"].id)
        assert (sub.id, sub.iso3, sub.year, sub.organisation, sub.title) == (sub_id, "JPN", YEAR, "Polaris Project",
                                                                             "Shadow report 2026")
        claims = [c.evidence for c in sub.claims]
        assert [(e.source_type, e.source_name, e.state, e.entered_by) for e in claims] == \
            [("ngo", "Polaris Project", "unverified", "polaris")] * 2
        assert claims[0].source_url == "https://example.org/report" and claims[0].source_date == date(2026, 3, 1)
        assert claims[1].criteria == ["criterion_5", "standard_4"] and claims[1].attachment.filename == "report.pdf"
        log = activity.entries(s, actor="polaris")
        assert {e.action for e in log} >= {"submission.add", "evidence.add", "attachment.add"}
        [entry] = [e for e in log if e.action == "submission.add"]
        assert entry.after["evidence"] == [e.id for e in claims] and entry.subject == f"submission:{sub_id}"
        assert list_submissions(s, users["lastrada"].id) == []  # another NGO's list holds none of it


def test_a_bad_fourth_claim_of_five_stores_nothing_and_names_the_claim_and_field(fresh_db):
    users = _accounts(fresh_db)
    good = ClaimIn("A claim.", ["criterion_1"], file=UploadedFile("a.txt", b"an attachment of a good claim"))
    cases = [
        (ClaimIn("   ", ["criterion_1"]), "claims[3].statement: must not be empty"),
        (ClaimIn("A claim.", ["criterion_99"]), "claims[3].criteria: criterion_99 not in force"),
        (ClaimIn("A claim.", []), "claims[3].criteria: name at least one criterion"),
        (ClaimIn("A claim.", ["criterion_1"], source_url="javascript:alert(1)"), "claims[3].source_url:"),
        (ClaimIn("A claim.", ["criterion_1"], file=UploadedFile("e.txt", b"")), "claims[3].file: the attachment is"),
        (ClaimIn("A \x00 claim.", ["criterion_1"]), "claims[3].statement: must not contain a NUL"),
    ]
    before = _counts(fresh_db)
    for bad, message in cases:
        with pytest.raises(EvidenceError) as caught, transaction(fresh_db.sessions) as s:
            submit(s, users["polaris"], "JPN", YEAR, [good, good, good, bad, good])
        assert str(caught.value).startswith(message), str(caught.value)
        assert _counts(fresh_db) == before, message


@pytest.mark.parametrize(("who", "iso3", "year", "claims", "message"), [
    ("ana", "JPN", YEAR, 1, "user: shadow reports are submitted by ngo accounts; ana is analyst"),
    ("tanaka", "JPN", YEAR, 1, "user: shadow reports are submitted by ngo accounts"),
    ("polaris", "ZZZ", YEAR, 1, "iso3: unknown country 'ZZZ'"),
    ("polaris", "JPN", 2008, 1, "year: the 2008 report is published"),
    ("polaris", "JPN", YEAR + 1, 1, "year: year"),
    ("polaris", "JPN", YEAR, 0, "claims: a shadow report needs at least one claim"),
])
def test_who_may_submit_for_what(fresh_db, who, iso3, year, claims, message):
    fresh_db.load_bundled()  # 2008 is published history
    users = _accounts(fresh_db)
    before = _counts(fresh_db)
    with pytest.raises(EvidenceError) as caught, transaction(fresh_db.sessions) as s:
        submit(s, users[who], iso3, year, [ClaimIn("A claim.", ["criterion_1"])] * claims)
    assert str(caught.value).startswith(message), str(caught.value)
    assert _counts(fresh_db) == before


def test_a_claim_cites_only_a_file_its_own_account_uploaded_and_a_file_is_stored_once(fresh_db):
    users = _accounts(fresh_db)
    with transaction(fresh_db.sessions) as s:
        theirs = store_attachment(s, "ana.txt", b"an analyst's confidential file", "text/plain", "ana").sha256
        note_upload(s, theirs, users["ana"].id)
        mine = store_attachment(s, "mine.txt", b"polaris evidence", "text/plain", "polaris").sha256
        note_upload(s, mine, users["polaris"].id)
    with pytest.raises(EvidenceError, match=r"^claims\[0\]\.attachment_sha256: no file you uploaded"), \
            transaction(fresh_db.sessions) as s:
        submit(s, users["polaris"], "JPN", YEAR, [ClaimIn("A claim.", ["criterion_1"], attachment_sha256=theirs)])
    with transaction(fresh_db.sessions) as s:
        row = submit(s, users["polaris"], "JPN", YEAR, [
            ClaimIn("A claim.", ["criterion_1"], attachment_sha256=mine.upper()),
            ClaimIn("Another.", ["criterion_2"], file=UploadedFile("again.txt", b"polaris evidence")),
        ])
        assert [c.evidence.attachment_sha256 for c in row.claims] == [mine, mine]
    with fresh_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 2


def test_the_ngo_sees_the_governments_answer_only_once_the_report_is_published(fresh_db):
    users = _accounts(fresh_db)
    with transaction(fresh_db.sessions) as s:
        row = submit(s, users["polaris"], "JPN", YEAR, [ClaimIn("Claim one.", ["criterion_1"]),
                                                         ClaimIn("Claim two.", ["criterion_2"])])
        first, second = (c.evidence_id for c in row.claims)
        other = submit(s, users["lastrada"], "JPN", YEAR, [ClaimIn("An independent source.", ["criterion_1"])])
        set_state(s, first, "corroborated", "ana", "a second source", corroborated_by=other.claims[0].evidence_id)
        send_request(s, "JPN", YEAR, "ana")
    with transaction(fresh_db.sessions) as s:
        respond(s, "JPN", YEAR, first, "dispute", "False.", "tanaka", counter_evidence="Penal Code art. 226-2")
        respond(s, "JPN", YEAR, second, "confirm", "", "tanaka")
    with fresh_db.sessions() as s:
        [sub] = list_submissions(s, users["polaris"].id)
        one, two = (c.evidence for c in sub.claims)
        assert (one.state, two.state) == ("disputed_by_government", "confirmed_by_government")
        assert [submitter_state(e, published=False) for e in (one, two)] == ["corroborated", "unverified"]
        assert [submitter_state(e, published=True) for e in (one, two)] == [one.state, two.state]


def test_an_analysts_note_to_the_submitter_is_kept_and_logged(fresh_db):
    users = _accounts(fresh_db)
    with transaction(fresh_db.sessions) as s:
        row = submit(s, users["polaris"], "JPN", YEAR, [ClaimIn("Claim one.", ["criterion_1"])])
        sub_id, evidence_id = row.id, row.claims[0].evidence_id
    with transaction(fresh_db.sessions) as s:
        set_note(s, sub_id, evidence_id, "Please send the court record.", "ana")
    with pytest.raises(LookupError), transaction(fresh_db.sessions) as s:
        set_note(s, sub_id + 1, evidence_id, "Wrong submission.", "ana")
    with fresh_db.sessions() as s:
        [sub] = list_submissions(s)
        assert (sub.claims[0].analyst_note, sub.claims[0].note_by) == ("Please send the court record.", "ana")
        [entry] = activity.entries(s, action="submission.note")
        assert entry.actor == "ana" and entry.after == {"note": "Please send the court record."}


@pytest.mark.parametrize(("role", "country", "organisation", "message"), [
    ("ngo", None, None, "organisation: required for an ngo account"),
    ("ngo", None, "   ", "organisation: required for an ngo account"),
    ("ngo", None, "x" * 201, "organisation: 201 characters, at most 200"),
    ("ngo", "JPN", "Polaris Project", "country: only a liaison is bound to a country"),
    ("analyst", None, "Polaris Project", "organisation: only an ngo account is bound to an organisation"),
    ("liaison", "JPN", "Polaris Project", "organisation: only an ngo account"),
])
def test_an_ngo_account_is_bound_to_an_organisation_and_only_it(fresh_db, role, country, organisation, message):
    with pytest.raises(UserError) as caught, transaction(fresh_db.sessions) as s:
        create_user(s, "someone", role, PASSWORD, country, organisation=organisation)
    assert str(caught.value).startswith(message), str(caught.value)
    with transaction(fresh_db.sessions) as s:
        user = create_user(s, "polaris", "ngo", PASSWORD, organisation="  Polaris \n Project ")
        assert (user.organisation, user.describe()["organisation"]) == ("Polaris Project", "Polaris Project")
    # the database holds the same rule, whatever writes to it
    for values in ("'x1', 'ngo', NULL", "'x2', 'analyst', 'An NGO'"):
        with pytest.raises(IntegrityError), transaction(fresh_db.sessions) as s:
            s.execute(text(f"INSERT INTO users (name, role, organisation, password_hash, active, created_at) "
                           f"VALUES ({values}, 'h', true, '2026-01-01')"))


def test_migration_0010_keeps_every_account_session_and_token(make_db, backend_name):
    """SQLite changes users' CHECK constraint by copying the table: the sessions and tokens that reference it (ON
    DELETE CASCADE) must survive the copy."""
    db = make_db(backend_name)
    script = ScriptDirectory.from_config(migrate.alembic_config())
    previous = script.get_revision("0010_ngo_submissions").down_revision
    config = migrate.alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, str(previous))
    token = "tt_written-before-0010"
    with db.engine.begin() as connection:  # an account, its token and its session, as the schema before 0010 holds
        connection.execute(text("INSERT INTO users (id, name, role, country_iso3, password_hash, active, created_at) "
                                "VALUES (41, 'tanaka', 'liaison', 'JPN', 'h', true, '2026-01-02')"))
        connection.execute(text("INSERT INTO api_tokens (token_sha256, user_id, label, created_at) "
                                "VALUES (:digest, 41, 'cli', '2026-01-02')"), {"digest": token_digest(token)})
        connection.execute(text("INSERT INTO user_sessions (token_sha256, user_id, csrf_token, created_at, "
                                "last_seen_at) VALUES ('s', 41, 'c', '2026-01-02', '2026-01-02')"))
    migrate.upgrade(db.engine)
    assert not migrate.pending_revisions(db.engine)
    with transaction(db.sessions) as s:
        found = user_for_token(s, token)
        assert found is not None and found.name == "tanaka" and found.country_iso3 == "JPN"
        assert s.scalar(text("SELECT count(*) FROM user_sessions WHERE user_id = 41")) == 1
        create_user(s, "polaris", "ngo", PASSWORD, organisation="Polaris Project")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_name(request) -> str:
    return str(request.param)
