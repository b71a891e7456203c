"""The pure right-of-reply rules: verification transitions, deadlines, resolutions, the publish gate, flags."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiptiers.review import (
    Claim,
    Dispute,
    GateOverride,
    InvalidTransition,
    Outcome,
    RequestKind,
    Resolution,
    ReviewRequest,
    SourceType,
    VerificationState,
    add_months,
    check_answers,
    check_resolution,
    check_transition,
    default_deadline,
    gate_reasons,
    prefill,
    rating_flag,
)
from tiptiers.review.model import check_independent

V = VerificationState
T0 = datetime(2026, 3, 1, 9, 0)


def _claim(eid: int = 1, state: V = V.UNVERIFIED, created: datetime = T0, disputes: tuple[Dispute, ...] = ()) -> Claim:
    return Claim(evidence_id=eid, iso3="JPN", year=2026, statement="s", state=state, criteria=("criterion_1",),
                 source_type=SourceType.NGO, source_name="NGO", created_at=created, disputes=disputes)


def _request(sent: datetime = T0 + timedelta(days=1), deadline: date = date(2026, 5, 2),
             completed: datetime | None = None) -> ReviewRequest:
    return ReviewRequest(7, "JPN", 2026, RequestKind.DRAFT, sent, deadline, "ana", completed)


def test_deadline_is_two_months_and_clamps_to_short_months():
    assert default_deadline(date(2026, 3, 15)) == date(2026, 5, 15)
    assert default_deadline(date(2025, 12, 31)) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 14) == date(2028, 1, 30)


def test_withdrawn_is_final_and_corroboration_needs_an_independent_record():
    check_transition(V.UNVERIFIED, V.DISPUTED)
    with pytest.raises(InvalidTransition, match="withdrawn is final"):
        check_transition(V.WITHDRAWN, V.UNVERIFIED)
    with pytest.raises(InvalidTransition, match="corroborated_by"):
        check_transition(V.UNVERIFIED, V.CORROBORATED, evidence_id=1)
    with pytest.raises(InvalidTransition, match="itself"):
        check_transition(V.UNVERIFIED, V.CORROBORATED, evidence_id=1, corroborated_by=1)
    check_transition(V.UNVERIFIED, V.CORROBORATED, evidence_id=1, corroborated_by=2)
    with pytest.raises(InvalidTransition, match="same source"):
        check_independent("Polaris Project", " polaris project", V.UNVERIFIED)
    with pytest.raises(InvalidTransition, match="withdrawn"):
        check_independent("Polaris Project", "ILO", V.WITHDRAWN)


@pytest.mark.parametrize(("outcome", "reason", "corrected", "withdraw", "field"), [
    (Outcome.ACCEPTED, "", None, False, "corrected_statement"),
    (Outcome.ACCEPTED, "", "new text", True, "corrected_statement"),
    (Outcome.MAINTAINED, "  ", None, False, "reason"),
    (Outcome.MAINTAINED, "two NGOs agree", "new", False, "outcome"),
])
def test_bad_resolutions_name_the_field(outcome, reason, corrected, withdraw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        check_resolution(outcome, reason, corrected, withdraw)


def test_good_resolutions_pass():
    check_resolution(Outcome.ACCEPTED, "", "corrected", False)
    check_resolution(Outcome.ACCEPTED, "", None, True)
    check_resolution(Outcome.MAINTAINED, "corroborated by ILO", None, False)


def test_gate_blocks_until_sent_deadline_passed_and_disputes_resolved():
    claim = _claim()
    assert gate_reasons([], [claim], date(2026, 3, 2)) == ["the draft has not been sent to the government for review"]
    request = _request()
    [reason] = gate_reasons([request], [claim], date(2026, 5, 2))  # the deadline day itself is still open
    assert "open until 2026-05-02" in reason
    assert gate_reasons([request], [claim], date(2026, 5, 3)) == []
    completed = _request(completed=T0 + timedelta(days=5))
    assert gate_reasons([completed], [claim], date(2026, 3, 10)) == []

    dispute = Dispute(3, 1, "Article 226-2 of the Penal Code criminalises it", "Penal Code art. 226-2", "liaison",
                      T0 + timedelta(days=3))
    disputed = _claim(state=V.DISPUTED, disputes=(dispute,))
    [reason] = gate_reasons([completed], [disputed], date(2026, 6, 1))
    assert reason.startswith("dispute #3 on claim #1 is open")
    resolved = Dispute(**{**dispute.__dict__, "resolution": Resolution(Outcome.MAINTAINED, "r", "ana", T0)})
    assert gate_reasons([completed], [_claim(state=V.DISPUTED, disputes=(resolved,))], date(2026, 6, 1)) == []


def test_claims_added_after_sending_block_until_sent_again():
    late = _claim(eid=2, created=T0 + timedelta(days=10))
    [reason] = gate_reasons([_request()], [_claim(), late], date(2026, 6, 1))
    assert reason.startswith("claim #2 was added after the draft was sent")
    again = ReviewRequest(8, "JPN", 2026, RequestKind.DRAFT, T0 + timedelta(days=11), date(2026, 5, 20), "ana")
    assert gate_reasons([_request(), again], [_claim(), late], date(2026, 6, 1)) == []


def test_override_lifts_only_what_was_known_when_recorded():
    request = _request()
    override = GateOverride("the minister's reply arrived by letter", "root", T0 + timedelta(days=2))
    assert gate_reasons([request], [_claim()], date(2026, 3, 10), override) == []
    later = Dispute(4, 1, "false", "", "liaison", T0 + timedelta(days=4))
    reasons = gate_reasons([request], [_claim(disputes=(later,))], date(2026, 3, 10), override)
    assert len(reasons) == 1 and reasons[0].startswith("dispute #4")


def test_rating_flags():
    assert rating_flag([]).code == "no_evidence"
    assert rating_flag([V.WITHDRAWN]).code == "withdrawn_only"
    assert rating_flag([V.UNVERIFIED, V.DISPUTED, V.WITHDRAWN]).code == "unverified_only"
    assert rating_flag([V.UNVERIFIED, V.CORROBORATED]) is None
    assert rating_flag([V.CONFIRMED]) is None


def test_questionnaire_prefills_last_year_and_keeps_this_years_answers():
    items = {i.id: i for i in prefill({"laws": "Penal Code art. 226-2", "demand": "campaigns"}, {"demand": "new"})}
    assert (items["laws"].answer, items["laws"].origin) == ("Penal Code art. 226-2", "last_year")
    assert (items["demand"].answer, items["demand"].origin, items["demand"].previous_answer) == \
        ("new", "this_year", "campaigns")
    assert (items["victims_identified"].answer, items["victims_identified"].origin) == ("", "new")
    with pytest.raises(ValueError, match="answers: unknown question nope"):
        check_answers({"nope": "x"})
    assert check_answers({"laws": "  a  ", "demand": " "}) == {"laws": "a"}


def test_a_disputed_phrase_matches_the_claim_it_answers_across_spellings():
    from tiptiers.review.matching import rank_claims, unique_match

    candidates = [(1, "Shelters for victims are underfunded."),
                  (2, "Japanese law does not criminalise labour recruitment through fraud."),
                  (3, "Japan identified few victims of forced labour among technical interns.")]
    ranked = rank_claims("Japanese law not criminalizing labor recruiting through fraud", candidates)
    assert [m.evidence_id for m in ranked] == [2, 3, 1]
    assert unique_match(ranked) == ranked[0]
    assert unique_match(rank_claims("the tier ranking is unfair", candidates)) is None


_times = st.integers(min_value=0, max_value=100).map(lambda d: T0 + timedelta(days=d))


@settings(max_examples=200, deadline=None)
@given(
    sent=st.lists(st.tuples(_times, st.integers(1, 90), st.booleans()), max_size=3),
    claims=st.lists(st.tuples(_times, st.sampled_from(list(V)), st.lists(st.tuples(_times, st.booleans()),
                                                                           max_size=2)), max_size=4),
    today=_times.map(lambda t: t.date()),
    override_at=st.none() | _times,
)
def test_gate_properties(sent, claims, today, override_at):
    requests = [ReviewRequest(i, "JPN", 2026, RequestKind.DRAFT, at, (at + timedelta(days=days)).date(), "ana",
                              at if done else None) for i, (at, days, done) in enumerate(sent)]
    resolution = Resolution(Outcome.MAINTAINED, "r", "ana", T0)
    built = [_claim(eid=i, state=state, created=at,
                    disputes=tuple(Dispute(10 * i + j, i, "no", "law", "liaison", d_at, None if is_open else resolution)
                                   for j, (d_at, is_open) in enumerate(ds)))
             for i, (at, state, ds) in enumerate(claims)]
    override = GateOverride("why", "root", override_at) if override_at else None
    reasons = gate_reasons(requests, built, today, override)
    # without an override: publishable exactly when sent, closed, every claim seen, no dispute open
    plain = gate_reasons(requests, built, today)
    latest = max(requests, key=lambda r: (r.sent_at, r.id)) if requests else None
    expected_clear = (latest is not None and not latest.is_open(today)
                      and not any(d.is_open for c in built for d in c.disputes)
                      and not any(c.created_at > latest.sent_at and c.state is V.UNVERIFIED for c in built))
    assert (plain == []) == expected_clear
    # an override never adds a reason, and lifts everything that arose before it
    assert set(reasons) <= set(plain)
    if override_at is not None:
        assert not any(f"dispute #{d.id} " in r for r in reasons for c in built for d in c.open_disputes
                       if d.at <= override_at)


def test_the_gate_knows_both_stages():
    from tiptiers.review import Stage, check_final

    draft = ReviewRequest(7, "JPN", 2026, RequestKind.DRAFT, T0, date(2026, 5, 1), "ana")
    final = ReviewRequest(9, "JPN", 2026, RequestKind.DRAFT, T0 + timedelta(days=40), date(2026, 6, 1), "ana",
                          stage=Stage.FINAL)
    assert final.label == "final report" and draft.label == "draft"
    assert gate_reasons([draft], [], date(2026, 5, 2)) == []
    assert gate_reasons([draft], [], date(2026, 5, 2), final_required=True) == [
        "the final report has not been sent to the government for its final comments (the second stage of the "
        "right of reply)"]
    (reason,) = gate_reasons([draft, final], [], date(2026, 5, 20))
    assert reason.startswith("the government's final comments are open until 2026-06-01 (final report #9")
    assert gate_reasons([draft, final], [], date(2026, 6, 2), final_required=True) == []
    with pytest.raises(ValueError, match="final: the government's comments on the draft are open until 2026-05-01"):
        check_final([draft], [], date(2026, 4, 20))
    with pytest.raises(ValueError, match="final: the draft has not been sent yet"):
        check_final([], [], date(2026, 4, 20))
    check_final([draft], [], date(2026, 5, 2))
