"""The full-text index, on SQLite (FTS5) and PostgreSQL (tsvector): one API, the same answers."""

from __future__ import annotations

import pytest

from tiptiers.store.db import transaction
from tiptiers.store.search import (
    SNIPPET_END,
    SNIPPET_START,
    DocumentIn,
    SearchFilters,
    SearchQueryError,
    fts5_query,
    index_document,
    index_documents,
    remove_document,
    search,
)

DOCS = [
    DocumentIn("cable", "08TOKYO1528", "JAPAN REACTS NEGATIVELY TO TIP REPORT TIER RANKING",
               "The report's language about Japanese law not criminalizing labor recruiting through fraud is "
               "completely false, said Shimbo.", "JPN", 2008, ("PHUM", "KCRM", "JA"), "CONFIDENTIAL",
               ("negative", "objection")),
    DocumentIn("cable", "09BEIJING100", "CHINA ON FORCED LABOR", "Officials discussed forced labor in brick kilns "
               "and recruiters who deceive workers.", "CHN", 2009, ("ELAB", "CH"), "UNCLASSIFIED", ()),
    DocumentIn("cable", "08MANILA1702", "PHILIPPINES WELCOMES TIP REPORT", "The government welcomes the "
               "recommendations on labor recruitment agencies.", "PHL", 2008, ("KTIP", "RP"), "UNCLASSIFIED",
               ("appreciation",)),
    DocumentIn("evidence", "17", "NGO report: fraudulent recruitment", "Brokers recruit workers through fraud "
               "and debt bondage.", "JPN", 2008, ("prosecution",), None, ()),
]


@pytest.fixture
def indexed(fresh_db):
    with transaction(fresh_db.sessions) as s:
        index_documents(s, DOCS)
    return fresh_db


def refs(results):
    return [h.ref_id for h in results.hits]


def test_words_are_stemmed_and_anded(indexed):
    with indexed.sessions() as s:
        found = search(s, "labor recruiting fraud")
        assert refs(found) == ["08TOKYO1528"] and found.total == 1
        assert set(refs(search(s, "recruitment"))) == {"08TOKYO1528", "09BEIJING100", "08MANILA1702", "17"}


def test_filters(indexed):
    with indexed.sessions() as s:
        assert set(refs(search(s, "fraud", SearchFilters(iso3="jpn")))) == {"08TOKYO1528", "17"}
        assert refs(search(s, "fraud", SearchFilters(kind="evidence"))) == ["17"]
        assert refs(search(s, "labor", SearchFilters(year=2009))) == ["09BEIJING100"]
        assert refs(search(s, "labor", SearchFilters(tag="ktip"))) == ["08MANILA1702"]
        assert refs(search(s, "labor", SearchFilters(classification="confidential"))) == ["08TOKYO1528"]
        assert refs(search(s, "labor", SearchFilters(reaction="objection"))) == ["08TOKYO1528"]
        assert refs(search(s, "labor", SearchFilters(tag="KT"))) == []  # whole codes only


def test_visibility_hides_classified_documents(indexed):
    with indexed.sessions() as s:
        public = SearchFilters(visible_classifications=frozenset({None, "UNCLASSIFIED"}))
        assert "08TOKYO1528" not in refs(search(s, "labor", public))
        assert set(refs(search(s, "fraud", public))) == {"17"}


def test_phrases_or_and_exclusion(indexed):
    with indexed.sessions() as s:
        assert refs(search(s, '"forced labor"')) == ["09BEIJING100"]
        assert set(refs(search(s, "kilns OR Shimbo"))) == {"09BEIJING100", "08TOKYO1528"}
        assert set(refs(search(s, "labor -fraud"))) == {"09BEIJING100", "08MANILA1702"}
        assert set(refs(search(s, "-fraud"))) == {"09BEIJING100", "08MANILA1702"}  # exclusions only


def test_snippets_mark_the_matches(indexed):
    with indexed.sessions() as s:
        hit = search(s, "kilns").hits[0]
        assert f"{SNIPPET_START}kilns{SNIPPET_END}" in hit.snippet
        assert hit.tags == ("ELAB", "CH") and hit.iso3 == "CHN"


def test_user_syntax_never_breaks_the_query(indexed):
    with indexed.sessions() as s:
        for query in ['"unbalanced', "AND OR NOT", "labor*", "(fraud", "-", "NEAR(labor fraud)", "'; DROP TABLE x"]:
            search(s, query)  # no exception
        with pytest.raises(SearchQueryError, match="at most"):
            search(s, "x" * 501)


def test_an_empty_query_lists_by_filter(indexed):
    with indexed.sessions() as s:
        found = search(s, "", SearchFilters(iso3="JPN"))
        assert found.total == 2 and set(refs(found)) == {"08TOKYO1528", "17"}


def test_reindexing_replaces_and_remove_removes(indexed):
    with transaction(indexed.sessions) as s:
        index_document(s, "evidence", "17", "NGO report", "Brokers now use online advertisements.", iso3="JPN",
                       year=2008)
    with indexed.sessions() as s:
        assert refs(search(s, "fraud", SearchFilters(kind="evidence"))) == []
        assert refs(search(s, "advertisements")) == ["17"]
    with transaction(indexed.sessions) as s:
        remove_document(s, "evidence", "17")
    with indexed.sessions() as s:
        assert search(s, "advertisements").total == 0


def test_fts5_query_quotes_every_term():
    assert fts5_query("labor recruiting fraud") == '"labor" AND "recruiting" AND "fraud"'
    assert fts5_query('"forced labor" OR kilns -fraud') == '(("forced labor" OR "kilns")) NOT "fraud"'
    assert fts5_query("-only") == '(facets : "xall0") NOT "only"'
    assert fts5_query("fraud", "{title body} : ") == '{title body} : "fraud"'


def test_both_backends_cap_the_count_and_rank_within_a_window(fresh_db, monkeypatch):
    import tiptiers.store.search as search_module

    docs = [DocumentIn("cable", f"09TEST{i}", f"Cable {i}", "forced labor " * (i + 1), "JPN", 2009)
            for i in range(6)]
    with transaction(fresh_db.sessions) as s:
        index_documents(s, docs)
    monkeypatch.setattr(search_module, "COUNT_CAP", 4)
    monkeypatch.setattr(search_module, "RANK_WINDOW", 3)
    with fresh_db.sessions() as s:
        found = search(s, "labor", limit=10)
    assert (found.total, found.total_exact, found.ranked_among) == (4, False, 3)
    # the best among the 3 most recently indexed (09TEST3-5), best (most "labor") first
    assert refs(found) == ["09TEST5", "09TEST4", "09TEST3"]
    monkeypatch.setattr(search_module, "COUNT_CAP", 10)
    monkeypatch.setattr(search_module, "RANK_WINDOW", 10)
    with fresh_db.sessions() as s:
        found = search(s, "labor", limit=10)
    assert (found.total, found.total_exact, found.ranked_among) == (6, True, None)
    assert refs(found) == [f"09TEST{i}" for i in range(5, -1, -1)]


def test_the_window_is_the_newest_matches_however_unevenly_they_are_spread(fresh_db, monkeypatch):
    """Above COUNT_CAP matches the best are ranked among the RANK_WINDOW most recently indexed ones. PostgreSQL
    looks for those near the newest rows, as far back as the density of the first matches predicts: here the old
    documents all match and the new ones seldom, so it has to look further back than predicted."""
    import tiptiers.store.search as search_module

    matches = [i for i in range(60) if i < 30 or i % 10 == 9]
    docs = [DocumentIn("cable", f"09TEST{i:02d}", f"Cable {i}", "forced labor" if i in matches else "fisheries",
                       "JPN", 2009) for i in range(60)]
    with transaction(fresh_db.sessions) as s:
        index_documents(s, docs)
    monkeypatch.setattr(search_module, "COUNT_CAP", 10)
    monkeypatch.setattr(search_module, "RANK_WINDOW", 5)
    with fresh_db.sessions() as s:
        found = search(s, "labor", limit=10)
    assert (found.total, found.total_exact, found.ranked_among) == (10, False, 5)
    assert sorted(refs(found)) == [f"09TEST{i:02d}" for i in (28, 29, 39, 49, 59)]


def test_a_restored_backup_is_searchable(indexed, make_db, tmp_path):
    """A backup holds the documents, not the index: the restore builds it again, across backends too."""
    from tiptiers.store.backup import backup, restore

    backup(indexed.engine, tmp_path / "b.zip")
    for backend in ("sqlite", "postgresql"):
        target = make_db(backend)
        restore(target.engine, tmp_path / "b.zip")
        with target.sessions() as s:
            assert refs(search(s, "labor recruiting fraud")) == ["08TOKYO1528"], backend
            assert set(refs(search(s, "fraud", SearchFilters(iso3="JPN")))) == {"08TOKYO1528", "17"}
