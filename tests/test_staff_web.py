"""The staff's own pages without a browser (the browser tests are tests/test_staff_browser.py): where each account
lands after logging in, the analyst's drafts of the year, the workspace's rating editor as a plain form (the page
works without JavaScript), the confirmation before a draft is sent, the liaison's progress and changed answers, and
the administrators' import of a report's lists (preview, errors naming the line, refusal, confirm, activity log)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import conftest
from tiptiers.methodology import methodology_for_year
from tiptiers.store import activity
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.placements import load_bundled, year_placements
from tiptiers.store.reviews import send_request
from tiptiers.store.users import create_api_token, create_user

PASSWORD = "correct horse battery staple"
ACCOUNTS = {"root": ("admin", None), "ana": ("analyst", None), "rev": ("reviewer", None),
            "jpn-liaison": ("liaison", "JPN"), "kor-liaison": ("liaison", "KOR"), "ngo": ("ngo", None)}
YEAR = 2026
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module", params=conftest.BACKENDS)
def site(request, tmp_path_factory) -> Iterator[dict[str, Any]]:
    from tiptiers.web.app import create_app

    db = conftest.TestDatabase(request.param, tmp_path_factory)
    with transaction(db.sessions) as session:
        load_bundled(session)
    tokens = {}
    with transaction(db.sessions) as session:
        for name, (role, country) in ACCOUNTS.items():
            create_user(session, name, role, PASSWORD, country=country,
                        organisation="Polaris Project" if role == "ngo" else None)
            tokens[name] = create_api_token(session, name)[0]
    with transaction(db.sessions) as session:
        ids = [add_evidence(session, iso3="JPN", year=YEAR, criteria=criteria, statement=text, source_type="ngo",
                            source_name="Polaris Project", entered_by="ana").id
               for criteria, text in ((["criterion_1", "standard_1"], "Recruiters deceive technical interns."),
                                      (["criterion_2"], "Shelters are few."))]
    yield {"db": db, "app": create_app(db.url), "tokens": tokens, "evidence": ids}
    db.drop()


def as_user(site: dict[str, Any], name: str | None) -> TestClient:
    client = TestClient(site["app"], raise_server_exceptions=False, follow_redirects=False)
    if name:
        client.headers["Authorization"] = f"Bearer {site['tokens'][name]}"
    return client


def log_in(site: dict[str, Any], name: str) -> tuple[TestClient, str]:
    """The login form as a browser posts it; the redirect it answers with."""
    c = TestClient(site["app"], raise_server_exceptions=False, follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    return c, r.headers["location"]


def csrf(c: TestClient, url: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', c.get(url, headers=HTML).text).group(1)  # type: ignore[union-attr]


def test_each_account_lands_on_its_own_work(site):
    for name in ("ana", "root", "rev"):
        c, location = log_in(site, name)
        assert location == "/work"
        page = c.get("/work", headers=HTML)
        assert page.status_code == 200 and f"Drafts of the {YEAR} report" in page.text
        assert 'id="work-link"' in page.text and 'href="/work"' in page.text  # the header leads back here
        assert 'id="start-draft"' in page.text and "<option value=\"JPN\">Japan</option>" in page.text
    ngo, location = log_in(site, "ngo")
    assert ngo.get(location).headers["location"] == "/submissions"
    korea, location = log_in(site, "kor-liaison")  # nothing sent to Korea yet: says so, no error
    page = korea.get(location, headers=HTML)
    assert page.status_code == 200 and "No draft of South Korea" in page.text


def test_the_analysts_work_groups_the_years_drafts(site):
    page = as_user(site, "ana").get("/work", headers=HTML).text
    not_sent = page.split('data-group="not_sent"')[1].split("</table>")[0]
    assert 'href="/workspace/JPN/2026">Japan</a>' in not_sent
    start = as_user(site, "ana").get("/workspace", params={"iso3": "kor", "year": str(YEAR)})
    assert start.status_code == 303 and start.headers["location"] == f"/workspace/KOR/{YEAR}"
    assert as_user(site, "jpn-liaison").get("/workspace", params={"iso3": "KOR", "year": "2026"}).status_code == 403


def test_the_workspace_lists_every_criterion_in_force_by_its_words(site):
    page = as_user(site, "ana").get(f"/workspace/JPN/{YEAR}", headers=HTML).text
    items = methodology_for_year(YEAR).items
    assert len(items) == 16
    legends = page.replace(" <small>(core)</small>", "")
    for item in items:
        assert f'name="level-{item.id}"' in page and f"{item.title}</legend>" in legends
    assert page.count('class="ratings"') == 0  # the ratings are listed once: the editor
    # the page reads evidence -> ratings -> tier -> send
    order = [page.index(f'id="{h}"') for h in ("evidence-h", "ratings-h", "tier-h", "send-h")]
    assert order == sorted(order)
    assert "signal-increasing_efforts_shown" in page and "signal-victims_significant_or_increasing" in page


def test_one_form_saves_every_rating_and_the_signals_give_the_watch_list(site):
    c, _ = log_in(site, "ana")
    url = f"/workspace/JPN/{YEAR}"
    token = csrf(c, url)
    first, second = site["evidence"]
    form: dict[str, Any] = {"csrf_token": token, "version": "0", "narrative": "Japan's draft.",
                            "signals-shown": "increasing_efforts_shown,concrete_actions,"
                                             "victims_significant_or_increasing"}
    for item in methodology_for_year(YEAR).items:
        form[f"level-{item.id}"] = "substantial"
    form["evidence-criterion_1"] = [str(first), str(second)]
    form["note-criterion_1"] = "Two sources."
    form["signal-concrete_actions"] = "on"  # increasing efforts left unchecked: a Watch List test holds
    saved = c.post(url, data=form)
    assert saved.status_code == 303, saved.text
    ws = as_user(site, "ana").get(f"/api/v1/workspace/JPN/{YEAR}").json()
    assert len(ws["ratings"]) == 16 and ws["version"] == 1
    assert ws["signals"] == {"increasing_efforts_shown": False, "concrete_actions": True,
                             "victims_significant_or_increasing": False}
    rated = {r["criterion"]: r for r in ws["ratings"]}
    assert [e["id"] for e in rated["criterion_1"]["evidence"]] == [first, second]
    assert rated["criterion_1"]["note"] == "Two sources."
    page = c.get(url, headers=HTML).text
    assert 'data-tier="2WL"' in page and "The way up" in page
    assert 'name="signal-increasing_efforts_shown" data-signal="increasing_efforts_shown">' in page  # unchecked now
    stale = c.post(url, data={**form, "version": "0"})  # someone saved since: refused, named, nothing lost
    assert stale.status_code == 409 and "version" in stale.text
    bad = c.post(url, data={**form, "version": "1", "evidence-criterion_2": "99999"})
    assert bad.status_code == 422 and "no evidence #99999" in bad.text


def test_sending_asks_first_and_shows_what_the_government_will_see(site):
    c, _ = log_in(site, "ana")
    workspace = c.get(f"/workspace/JPN/{YEAR}", headers=HTML).text
    assert f'href="/workspace/JPN/{YEAR}/send"' in workspace and "/requests" not in workspace  # no one-click send
    page = c.get(f"/workspace/JPN/{YEAR}/send", headers=HTML)
    assert page.status_code == 200
    assert "Recruiters deceive technical interns." in page.text and "Criterion 1: Prosecution" in page.text
    assert "Tier 2 Watch List" in page.text and "Japan&#39;s draft." in page.text
    assert as_user(site, "rev").get(f"/workspace/JPN/{YEAR}/send", headers=HTML).status_code == 403
    bad = c.post(f"/workspace/JPN/{YEAR}/send", data={"csrf_token": csrf(c, "/work"), "deadline": "soon"})
    assert bad.status_code == 422 and "deadline" in bad.text
    sent = c.post(f"/workspace/JPN/{YEAR}/send", data={"csrf_token": csrf(c, "/work"), "deadline": "2099-01-31"})
    assert sent.status_code == 303 and sent.headers["location"].endswith("?sent=1#send")
    status = as_user(site, "ana").get(f"/api/v1/reviews/JPN/{YEAR}/gate").json()
    assert status["requests_sent"] == 1 and status["deadline"] == "2099-01-31"


def test_the_liaison_sees_words_progress_and_may_change_an_answer(site):
    gate = as_user(site, "ana").get(f"/api/v1/reviews/JPN/{YEAR}/gate")
    assert gate.status_code == 200, gate.text
    if not gate.json()["requests_sent"]:  # this test alone: the draft is sent here
        with transaction(site["db"].sessions) as s:
            send_request(s, "JPN", YEAR, "ana")
    c, location = log_in(site, "jpn-liaison")
    assert location == "/work"
    landing = c.get("/work")
    assert landing.status_code == 303 and landing.headers["location"] == f"/review/JPN/{YEAR}"
    page = c.get(landing.headers["location"], headers=HTML).text
    assert re.search(r"0 of 2 claims answered, deadline in \d+ days", page)
    assert "Criterion 1: Prosecution" in page and "vigorously investigates and prosecutes" in page
    assert "criterion_1<" not in page and ">criterion_1" not in page  # no ids where a person reads
    first = site["evidence"][0]
    api = as_user(site, "jpn-liaison")
    assert api.post(f"/api/v1/reviews/JPN/{YEAR}/claims/{first}/responses",
                    json={"kind": "comment", "text": "We are looking into it."}).status_code == 201
    page = c.get(f"/review/JPN/{YEAR}", headers=HTML).text
    assert "1 of 2 claims answered" in page
    with transaction(site["db"].sessions) as s:  # a claim recorded after sending: the analysts' work shows it
        add_evidence(s, iso3="JPN", year=YEAR, criteria=["criterion_3"], statement="A later claim.",
                     source_type="ngo", source_name="An NGO", entered_by="ana")
    work = as_user(site, "ana").get("/work", headers=HTML).text
    assert re.search(r'data-waiting="JPN">.*1 claim the government has not seen: send the draft again', work)
    claim = page.split(f'id="claim-{first}"')[1].split("</li>")[0]
    assert "We are looking into it." in claim and "Change your answer" in claim
    assert api.post(f"/api/v1/reviews/JPN/{YEAR}/claims/{first}/responses",
                    json={"kind": "confirm"}).status_code == 201
    claim = c.get(f"/review/JPN/{YEAR}", headers=HTML).text.split(f'id="claim-{first}"')[1].split("</li>")[0]
    assert "Earlier answer" in claim and "Latest answer" in claim and "The government confirms" in claim


def test_a_dispute_the_liaison_takes_back_no_longer_waits_on_the_analysts(site):
    if not as_user(site, "ana").get(f"/api/v1/reviews/JPN/{YEAR}/gate").json()["requests_sent"]:
        with transaction(site["db"].sessions) as s:
            send_request(s, "JPN", YEAR, "ana")
    second = site["evidence"][1]
    api = as_user(site, "jpn-liaison")
    disputed = api.post(f"/api/v1/reviews/JPN/{YEAR}/claims/{second}/responses",
                        json={"kind": "dispute", "text": "There are 40 shelters.", "counter_evidence": "A census."})
    assert disputed.status_code == 201, disputed.text
    dispute = f"dispute #{disputed.json()['id']}"

    def waiting() -> str:
        work = as_user(site, "ana").get("/work", headers=HTML).text
        found = re.search(r'data-waiting="JPN">(.*?)</li>', work)
        return found.group(1) if found else ""

    def gate() -> list[str]:
        return as_user(site, "ana").get(f"/api/v1/reviews/JPN/{YEAR}/gate").json()["blocking"]

    assert "1 dispute to resolve" in waiting() and any(dispute in r for r in gate())
    assert api.post(f"/api/v1/reviews/JPN/{YEAR}/claims/{second}/responses",
                    json={"kind": "confirm"}).status_code == 201
    assert "dispute to resolve" not in waiting() and not any(dispute in r for r in gate())
    page = as_user(site, "jpn-liaison").get(f"/review/JPN/{YEAR}", headers=HTML).text
    claim = page.split(f'id="claim-{second}"')[1].split("</li>")[0]
    assert "Earlier answer" in claim and "There are 40 shelters." in claim and "The government confirms" in claim
    assert "replaced by the government's later answer" in claim and "awaits an analyst" not in claim
    workspace = as_user(site, "ana").get(f"/workspace/JPN/{YEAR}", headers=HTML).text
    assert f"Resolve {dispute}" not in workspace


LISTS = """TIER 1\r
Australia, Korea, South;  Canada\r
\r
TIER 2 WATCH LIST\r
Congo, Democratic Republic of the\r
TIER 3\r
Burma, Korea, North\r
"""


def test_an_administrator_imports_a_reports_lists_after_a_preview(site):
    c, _ = log_in(site, "root")
    token = csrf(c, "/admin/import")
    form = {"csrf_token": token, "year": "2027", "source": "2027 TIP Report, June 2027", "published_on": "2027-06-20",
            "text": LISTS}
    typo = c.post("/admin/import", data={**form, "text": LISTS.replace("Canada", "Canda")})
    assert typo.status_code == 422 and "line 2" in typo.text and "Canda" in typo.text and "Canada" in typo.text
    assert "import-confirm" not in typo.text
    with transaction(site["db"].sessions) as s:
        before = {p.iso3: p.tier for p in year_placements(s, 2027)}
    preview = c.post("/admin/import", data={**form, "action": "preview"})
    assert preview.status_code == 200, preview.text
    assert 'data-iso3="COD"' in preview.text and 'data-iso3="PRK"' in preview.text and "import-confirm" in preview.text
    with transaction(site["db"].sessions) as s:
        assert {p.iso3: p.tier for p in year_placements(s, 2027)} == before  # a preview stores nothing
    done = c.post("/admin/import", data={**form, "action": "confirm"})
    assert done.status_code == 200 and 'id="import-done"' in done.text, done.text
    with transaction(site["db"].sessions) as s:
        placed = {p.iso3: p.tier for p in year_placements(s, 2027)}
        entry = activity.entries(s, action="placements.import_lists", limit=1)[0]
    assert placed["COD"] == "2WL" and placed["KOR"] == "1" and placed["MMR"] == "3"
    assert entry.actor == "root" and entry.after["source"] == "2027 TIP Report, June 2027"


def test_a_preview_with_an_unknown_name_shows_the_names_that_matched_beside_the_refusal(site):
    c, _ = log_in(site, "root")
    with transaction(site["db"].sessions) as s:
        before = {p.iso3: p.tier for p in year_placements(s, 2027)}
    typo = c.post("/admin/import", data={"csrf_token": csrf(c, "/admin/import"), "year": "2027",
                                         "source": "2027 TIP Report", "published_on": "2027-06-20",
                                         "text": LISTS.replace("Canada", "Canda"), "action": "preview"})
    assert typo.status_code == 422
    refusal = typo.text.split('id="import-errors"')[1].split("</div>")[0]
    assert "line 2" in refusal and "Canda" in refusal and "though every name matched" not in refusal
    matched = typo.text.split('id="preview"')[1].split("</section>")[0]
    assert "The names that did match (5)" in matched
    for iso3 in ("AUS", "KOR", "COD", "MMR", "PRK"):
        assert f'data-iso3="{iso3}"' in matched
    assert 'data-iso3="CAN"' not in matched and "import-confirm" not in typo.text
    with transaction(site["db"].sessions) as s:
        assert {p.iso3: p.tier for p in year_placements(s, 2027)} == before  # still nothing stored


def test_the_import_is_refused_for_a_year_holding_drafts(site):
    c, _ = log_in(site, "root")
    refused = c.post("/admin/import", data={"csrf_token": csrf(c, "/admin/import"), "year": str(YEAR),
                                            "source": "2026 TIP Report", "published_on": "2026-06-24",
                                            "text": LISTS, "action": "confirm"})
    assert refused.status_code == 422 and "drafts in progress" in refused.text
    assert as_user(site, "ana").get("/admin/import", headers=HTML).status_code in (401, 403)
