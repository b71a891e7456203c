"""The cycle's records on both backends: Tier 3 determinations, the year lists, interim assessments; and the
calendar counting them."""

from datetime import date

import pytest
from typer.testing import CliRunner

from tiptiers.cli import app
from tiptiers.review.windows import PRESETS
from tiptiers.store import activity
from tiptiers.store import cycle as store
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence

runner = CliRunner()


@pytest.fixture
def db(fresh_db):
    return fresh_db.load_bundled()


def write(db, fn):
    with transaction(db.sessions) as session:
        return fn(session)


def test_a_determination_for_a_tier_3_government_in_its_window(db):
    with db.sessions() as session:
        tier3 = store.tier3_countries(session, 2013)
        assert "PRK" in tier3 and store.tier3_window(session, 2013) == (date(2013, 8, 3), date(2013, 9, 17))
    row = write(db, lambda s: store.record_determination(s, "North Korea", 2013, "d1", date(2013, 9, 17),
                                                         "The President", "ana"))
    assert (row.iso3, row.scope) == ("PRK", "whole")
    write(db, lambda s: store.record_determination(s, "PRK", 2013, "d4", date(2013, 9, 18), "The President", "ana",
                                                   programmes="educational and cultural exchange programmes"))
    with db.sessions() as session:
        (only,) = store.determinations(session, 2013)
        shown = only.as_dict(store.tier3_window(session, 2013))
        assert (shown["paragraph"], shown["scope"], shown["timing"]) == ("d4", "programmes", "late")
        log = activity.entries(session, action="tier3.")
        assert [e.before is None for e in log] == [False, True]  # the correction keeps what it replaced
        cal = store.year_calendar(session, 2013, PRESETS["tip"], staff=False)
        assert cal.step("tier3_determinations").note == f"1 of {len(tier3)} Tier 3 governments"


@pytest.mark.parametrize("args, message", [
    (("JPN", 2013, "d1", date(2013, 9, 1)), "iso3: Japan is not on Tier 3 in 2013"),
    (("PRK", 2013, "d9", date(2013, 9, 1)), "paragraph: 'd9' is not one of d1, d2, d3, d4, d5"),
    (("PRK", 2013, "d1", date(2013, 6, 1)), "determined_on: 2013-06-01 is before the report came out (2013-06-19)"),
    (("XXX", 2013, "d1", date(2013, 9, 1)), "iso3:"),
])
def test_bad_determinations_are_refused_and_nothing_is_stored(db, args, message):
    with pytest.raises(store.CycleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        write(db, lambda s: store.record_determination(s, *args, "The President", "ana"))
    with pytest.raises(store.CycleError, match="programmes: only a waiver"):
        write(db, lambda s: store.record_determination(s, "PRK", 2013, "d1", date(2013, 9, 1), "P", "ana",
                                                       programmes="x"))
    with db.sessions() as session:
        assert store.determinations(session) == [] and not activity.entries(session, action="tier3.")


def test_year_lists(db):
    write(db, lambda s: store.set_list(s, 2013, "child_soldiers", "Burma", "ana", note="Tatmadaw"))
    write(db, lambda s: store.set_list(s, 2013, "child_soldiers", "SOM", "ana"))
    with pytest.raises(store.CycleError, match="list: 'nope'"):
        write(db, lambda s: store.set_list(s, 2013, "nope", "SOM", "ana"))
    write(db, lambda s: store.set_list(s, 2013, "child_soldiers", "SOM", "ana", on=False))
    with db.sessions() as session:
        lists = store.year_lists(session, 2013)
        assert [e.iso3 for e in lists["child_soldiers"]] == ["MMR"] and lists["policy_or_pattern"] == []
        cal = store.year_calendar(session, 2013, PRESETS["tip"], staff=False)
        assert cal.step("child_soldiers_list").done_on == date(2013, 6, 19)
        assert cal.step("child_soldiers_list").note == "Burma"


def test_interim_assessment_of_a_watch_list_country(db):
    evidence = write(db, lambda s: add_evidence(s, iso3="RUS", year=2013, criteria=["criterion_1"],
                                                statement="A first prosecution under the new article.",
                                                source_type="media", source_name="a newspaper", entered_by="ana"))
    with db.sessions() as session:
        watch = store.watch_list(session, 2012)
        assert "RUS" in watch
    with pytest.raises(store.CycleError, match="was not on the Tier 2 Watch List in 2012"):
        write(db, lambda s: store.save_interim(s, "JPN", 2013, "p", "s", [], "ana"))
    with pytest.raises(store.CycleError, match="evidence_ids: #999999 is not an evidence record on Russia"):
        write(db, lambda s: store.save_interim(s, "RUS", 2013, "p", "s", [999999], "ana"))
    write(db, lambda s: store.save_interim(s, "RUS", 2013, "Progress since April 1.", "Some progress.",
                                           [evidence.id], "ana"))
    write(db, lambda s: store.send_interim(s, "RUS", 2013, "ana", on=date(2013, 1, 30)))
    with pytest.raises(store.CycleError, match="stands as sent"):
        write(db, lambda s: store.save_interim(s, "RUS", 2013, "x", "y", [], "ana"))
    with db.sessions() as session:
        (row,) = store.interim_assessments(session, 2013, public_only=True)
        assert row.evidence == [evidence.id]
        cal = store.year_calendar(session, 2013, PRESETS["tip"], staff=False)
        assert cal.step("interim_assessment").note == f"1 of {len(watch)} Watch List countries of 2012"


def test_cli_sanctions_lists_interim(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    env = {"TIPTIERS_DATABASE_URL": url}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    ok = runner.invoke(app, ["sanctions", "record", "PRK", "2013", "-p", "d1", "--on", "2013-09-10",
                             "--signed-by", "The President"], env=env)
    assert ok.exit_code == 0, ok.output
    listed = runner.invoke(app, ["sanctions", "list", "--year", "2013"], env=env).output
    assert "determinations due 2013-08-03 to 2013-09-17" in listed and "in time; signed by The President" in listed
    assert "no determination recorded" in listed  # the other Tier 3 governments
    bad = runner.invoke(app, ["sanctions", "record", "JPN", "2013", "-p", "d1", "--on", "2013-09-10",
                              "--signed-by", "x"], env=env)
    assert bad.exit_code == 2 and "Japan is not on Tier 3 in 2013" in bad.output
    assert runner.invoke(app, ["sanctions", "record", "PRK", "2013", "-p", "d1", "--on", "10/9/2013",
                               "--signed-by", "x"], env=env).exit_code == 2
    assert runner.invoke(app, ["lists", "add", "2013", "child_soldiers", "Burma"], env=env).exit_code == 0
    assert "Child Soldiers Prevention Act list (2013): Burma" in runner.invoke(app, ["lists", "show", "2013"],
                                                                                 env=env).output
    assert "Russia (RUS): not written" in runner.invoke(app, ["interim", "list", "2013"], env=env).output


def test_shown_on_the_narrative_the_year_page_and_in_the_open_data(tmp_path_factory):
    from fastapi.testclient import TestClient

    import conftest
    from tiptiers.web.app import create_app

    db = conftest.TestDatabase("sqlite", tmp_path_factory).load_bundled()
    write(db, lambda s: store.record_determination(s, "PRK", 2013, "d1", date(2013, 9, 10), "The President", "ana"))
    write(db, lambda s: store.set_list(s, 2013, "child_soldiers", "MMR", "ana"))
    client = TestClient(create_app(db.url))
    html = {"accept": "text/html"}
    page = client.get("/narratives/PRK/2013", headers=html).text
    assert "Consequences of Tier 3" in page and "(d)(1) withhold non-humanitarian" in page and "in whole" in page
    assert "No determination under 22 U.S.C. 7107(d) is recorded yet" in client.get("/narratives/IRN/2013",
                                                                                      headers=html).text
    assert client.get("/api/v1/narratives/PRK/2013.json").json()["tier3_determination"]["signed_by"] == "The President"
    year = client.get("/years/2013", headers=html).text
    assert "Child Soldiers Prevention Act list (1)" in year and ">Burma</a>" in year
    csv = client.get("/api/v1/data/tier3_determinations.csv?year=2013").text
    assert csv.splitlines()[0].startswith("iso3,country,year,paragraph") and "PRK" in csv and "in time" in csv
    assert "MMR" in client.get("/api/v1/data/year_lists.json").text
    db.drop()


def test_burden_per_government_and_year(db):
    from datetime import datetime

    from tiptiers.review.questionnaire import QUESTIONS
    from tiptiers.store.reviews import send_request

    def setup(s):
        for statement in ("One.", "Two."):
            add_evidence(s, iso3="JPN", year=2026, criteria=["criterion_1"], statement=statement,
                         source_type="ngo", source_name="Polaris Project", entered_by="ana")
        send_request(s, "JPN", 2026, "ana", sent_at=datetime(2026, 4, 2), deadline=date(2026, 5, 1))
        send_request(s, "JPN", 2026, "ana", kind="questionnaire", sent_at=datetime(2026, 4, 2),
                     deadline=date(2026, 5, 1))
        send_request(s, "JPN", 2026, "ana", sent_at=datetime(2026, 5, 5), deadline=date(2026, 5, 20))
    write(db, setup)
    with db.sessions() as session:
        (row,) = store.burden(session, 2026)
    assert (row["requests"], row["drafts"], row["questionnaires"], row["deadlines"]) == (3, 2, 1, 2)
    assert row["questions"] == len(QUESTIONS) + 2 * 2 and row["claims_to_answer"] == 2
