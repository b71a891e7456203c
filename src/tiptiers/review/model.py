"""Evidence verification states, review requests, claims, disputes and resolutions, and the publish gate.

Pure: dataclasses in, dataclasses or strings out. Every rule that decides what may be published lives here, so the
CLI, the web app and the publication code apply the same one.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

DEFAULT_REVIEW_MONTHS = 2  # GRETA gives governments two months to comment on a draft report


class VerificationState(StrEnum):
    UNVERIFIED = "unverified"
    CORROBORATED = "corroborated"  # by an independent source, linked
    CONFIRMED = "confirmed_by_government"
    DISPUTED = "disputed_by_government"
    WITHDRAWN = "withdrawn"


VERIFIED_STATES = frozenset({VerificationState.CORROBORATED, VerificationState.CONFIRMED})


class SourceType(StrEnum):
    GOVERNMENT = "government"
    NGO = "ngo"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    MEDIA = "media"
    EMBASSY_REPORTING = "embassy_reporting"
    COURT_RECORD = "court_record"
    ACADEMIC = "academic"


class ResponseKind(StrEnum):
    """What a government's liaison may do with a claim of the draft."""

    CONFIRM = "confirm"
    DISPUTE = "dispute"
    COMMENT = "comment"


class Outcome(StrEnum):
    """An analyst's answer to a dispute."""

    ACCEPTED = "accepted"  # the claim is corrected or withdrawn
    MAINTAINED = "maintained"  # the claim stands, with a written reason


class RequestKind(StrEnum):
    DRAFT = "draft"  # the draft (ratings, tier, narrative, cited evidence) for the right of reply
    QUESTIONNAIRE = "questionnaire"  # the yearly questionnaire


class Stage(StrEnum):
    """The two stages of the right of reply (GRETA): the draft for comments, then the final report for final
    comments, which are published with the report. A questionnaire is of the draft stage."""

    DRAFT = "draft"
    FINAL = "final"


class InvalidTransition(ValueError):
    """A verification-state change the rules do not allow; the message says why."""


_V = VerificationState
TRANSITIONS: dict[VerificationState, frozenset[VerificationState]] = {
    _V.UNVERIFIED: frozenset({_V.CORROBORATED, _V.CONFIRMED, _V.DISPUTED, _V.WITHDRAWN}),
    _V.CORROBORATED: frozenset({_V.CONFIRMED, _V.DISPUTED, _V.WITHDRAWN}),
    _V.CONFIRMED: frozenset({_V.DISPUTED, _V.WITHDRAWN}),
    _V.DISPUTED: frozenset({_V.CORROBORATED, _V.CONFIRMED, _V.WITHDRAWN}),
    _V.WITHDRAWN: frozenset(),
}


def check_transition(
    current: VerificationState,
    target: VerificationState,
    *,
    evidence_id: int | None = None,
    corroborated_by: int | None = None,
) -> None:
    """Raise InvalidTransition unless `current -> target` is allowed; corroboration needs another record."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (withdrawn is final)"
        raise InvalidTransition(f"state: cannot go from {current} to {target}; allowed from {current}: {allowed}")
    if target is VerificationState.CORROBORATED:
        if corroborated_by is None:
            raise InvalidTransition("corroborated_by: corroboration needs the id of an independent evidence record")
        if corroborated_by == evidence_id:
            raise InvalidTransition("corroborated_by: a record cannot corroborate itself")


def check_independent(source_name: str, other_source_name: str, other_state: VerificationState) -> None:
    """A corroborating record must come from another source and must not be withdrawn."""
    if source_name.strip().casefold() == other_source_name.strip().casefold():
        raise InvalidTransition(
            f"corroborated_by: the record has the same source ({other_source_name!r}); "
            "corroboration must be independent"
        )
    if other_state is VerificationState.WITHDRAWN:
        raise InvalidTransition("corroborated_by: a withdrawn record cannot corroborate anything")


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month (31 Dec + 2 -> 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_deadline(sent: date, months: int = DEFAULT_REVIEW_MONTHS) -> date:
    return add_months(sent, months)


@dataclass(frozen=True)
class ReviewRequest:
    """A draft (or questionnaire) sent to a government, answerable until the end of `deadline`."""

    id: int
    iso3: str
    year: int
    kind: RequestKind
    sent_at: datetime
    deadline: date
    sent_by: str
    completed_at: datetime | None = None  # the liaison said the review is done
    stage: Stage = Stage.DRAFT

    @property
    def label(self) -> str:
        return "final report" if self.stage is Stage.FINAL else str(self.kind.value)

    def is_open(self, today: date) -> bool:
        return self.completed_at is None and today <= self.deadline


@dataclass(frozen=True)
class Resolution:
    outcome: Outcome
    reason: str
    resolved_by: str
    resolved_at: datetime
    corrected_statement: str | None = None
    withdrawn: bool = False


@dataclass(frozen=True)
class AttachedFile:
    """A file stored once per SHA-256, as a reply names it."""

    sha256: str
    filename: str
    media_type: str
    size: int


@dataclass(frozen=True)
class Translation:
    """The office's translation of a government's text into one language (never the government's own words)."""

    language: str  # BCP 47
    text: str
    translator: str
    at: datetime
    stale: bool = False  # the government's text changed since (a questionnaire answer saved again)


@dataclass(frozen=True)
class ClaimComment:
    """A liaison's answer to a claim: a confirmation, a comment, or a dispute (then also a Dispute).

    A later confirmation or dispute changes the answer (see `superseding`); a comment only adds to it."""

    id: int
    kind: ResponseKind
    text: str
    author: str
    at: datetime
    counter_evidence: str = ""
    counter_source_url: str = ""
    attachment: AttachedFile | None = None  # e.g. a copy of the law article a dispute cites
    attachment_public: bool = False  # the government allows the file to be published with the report
    language: str = "en"  # BCP 47: the language the government wrote it in
    translations: tuple[Translation, ...] = ()


@dataclass(frozen=True)
class Dispute:
    id: int  # the id of the liaison's response of kind `dispute`
    evidence_id: int
    text: str
    counter_evidence: str
    author: str
    at: datetime
    resolution: Resolution | None = None
    # the government's later confirmation or dispute of the same claim: its latest answer stands, so an unresolved
    # dispute it replaced no longer waits on the analysts (it stays on record as an earlier answer)
    superseded_by: int | None = None
    language: str = "en"  # BCP 47: the language the government wrote it in
    translations: tuple[Translation, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.resolution is None and self.superseded_by is None


@dataclass(frozen=True)
class Claim:
    """An evidence record as a claim of the draft, with the government's answers to it."""

    evidence_id: int
    iso3: str
    year: int
    statement: str  # as it stands now (corrected if a dispute was accepted)
    state: VerificationState
    criteria: tuple[str, ...]
    source_type: SourceType
    source_name: str
    created_at: datetime
    original_statement: str | None = None  # set when the statement was corrected
    source_date: date | None = None
    source_url: str = ""
    comments: tuple[ClaimComment, ...] = field(default=())
    disputes: tuple[Dispute, ...] = field(default=())

    @property
    def open_disputes(self) -> list[Dispute]:
        return [d for d in self.disputes if d.is_open]


def superseding(answers: Sequence[ClaimComment]) -> dict[int, int]:
    """For each answer replaced by a later one, the id of the answer that replaced it: a confirmation or a dispute
    takes a position on the claim and replaces every earlier answer; a comment adds to the earlier ones."""
    replaced: dict[int, int] = {}
    ordered = sorted(answers, key=lambda a: a.id)
    for i, a in enumerate(ordered):
        later = next((b.id for b in ordered[i + 1:] if b.kind is not ResponseKind.COMMENT), None)
        if later is not None:
            replaced[a.id] = later
    return replaced


def check_resolution(outcome: Outcome, reason: str, corrected_statement: str | None, withdraw: bool) -> None:
    """`accepted` corrects or withdraws the claim (exactly one); `maintained` needs a written reason."""
    corrected = (corrected_statement or "").strip()
    if outcome is Outcome.ACCEPTED:
        if bool(corrected) == withdraw:
            raise ValueError("corrected_statement: an accepted dispute either corrects the claim (give the corrected "
                             "statement) or withdraws it (withdraw), exactly one of the two")
    else:
        if not reason.strip():
            raise ValueError("reason: a maintained claim needs a written reason")
        if corrected or withdraw:
            raise ValueError("outcome: a maintained claim is neither corrected nor withdrawn; use accepted")


@dataclass(frozen=True)
class GateOverride:
    """An administrator's written reason to publish despite what blocks; covers what was known when recorded."""

    reason: str
    admin: str
    at: datetime


def _blocking(requests: Sequence[ReviewRequest], claims: Sequence[Claim], today: date,
              final_required: bool = False) -> list[tuple[str, datetime]]:
    """Each reason with the moment it arose, so that an override covers only what its author could see."""
    reasons: list[tuple[str, datetime]] = []
    ordered = sorted((r for r in requests if r.kind is RequestKind.DRAFT), key=lambda r: (r.sent_at, r.id))
    drafts = [r for r in ordered if r.stage is Stage.DRAFT]
    finals = [r for r in ordered if r.stage is Stage.FINAL]
    live = [c for c in claims if c.state is not VerificationState.WITHDRAWN]
    if not drafts:
        arose = min((c.created_at for c in live), default=datetime.min)
        reasons.append(("the draft has not been sent to the government for review", arose))
        return reasons
    latest = drafts[-1]
    if latest.is_open(today):
        reasons.append((f"the government's review is open until {latest.deadline.isoformat()} "
                        f"(request #{latest.id}, sent {latest.sent_at.date().isoformat()})", latest.sent_at))
    reasons.extend(_unseen(live, latest, "the draft"))
    for c in claims:
        for d in c.open_disputes:
            reasons.append((f"dispute #{d.id} on claim #{c.evidence_id} is open: the government says "
                            f"{_excerpt(d.text)!r}", d.at))
    if finals:
        final = finals[-1]
        if final.is_open(today):
            reasons.append((f"the government's final comments are open until {final.deadline.isoformat()} "
                            f"(final report #{final.id}, sent {final.sent_at.date().isoformat()})", final.sent_at))
        reasons.extend(_unseen(live, final, "the final report"))
    elif final_required:
        draft_closes = max(d.deadline for d in drafts)
        reasons.append(("the final report has not been sent to the government for its final comments (the "
                        "second stage of the right of reply)", datetime.combine(draft_closes, datetime.min.time())))
    return reasons


def _unseen(live: Sequence[Claim], request: ReviewRequest, what: str) -> list[tuple[str, datetime]]:
    """Unverified claims added after `request` went out: the government has not seen them."""
    return [(f"claim #{c.evidence_id} was added after {what} was sent (request #{request.id}) and the government "
             f"has not seen it: send {what} again", c.created_at)
            for c in live if c.created_at > request.sent_at and c.state is VerificationState.UNVERIFIED]


def gate_reasons(
    requests: Sequence[ReviewRequest],
    claims: Sequence[Claim],
    today: date,
    override: GateOverride | None = None,
    final_required: bool = False,
) -> list[str]:
    """Why the country-year cannot be published yet; empty when it can.

    Blocks: the draft never sent; the review still open (before the deadline, unless the liaison completed it);
    unverified claims the government has not been shown; open disputes; once a final report was sent, its window
    for final comments still open, or claims added since; with `final_required`, a final report never sent. An
    administrator's override lifts what blocked when it was recorded; anything arising later blocks again.
    """
    return [text for text, arose in _blocking(requests, claims, today, final_required)
            if override is None or arose > override.at]


def check_final(requests: Sequence[ReviewRequest], claims: Sequence[Claim], today: date) -> None:
    """The final report goes out once the draft stage is over: the draft sent and its window closed (deadline past
    or review completed), and every dispute resolved (the final report carries the resolutions)."""
    drafts = [r for r in requests if r.kind is RequestKind.DRAFT and r.stage is Stage.DRAFT]
    if not drafts:
        raise ValueError("final: the draft has not been sent yet; the final report follows the draft stage")
    latest = max(drafts, key=lambda r: (r.sent_at, r.id))
    if latest.is_open(today):
        raise ValueError(f"final: the government's comments on the draft are open until {latest.deadline} "
                         f"(request #{latest.id}); send the final report when that stage is over")
    open_disputes = [f"#{d.id} on claim #{c.evidence_id}" for c in claims for d in c.open_disputes]
    if open_disputes:
        raise ValueError(f"final: resolve every dispute first ({', '.join(open_disputes)}): the final report "
                         "carries the resolutions")


def _excerpt(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class RatingFlag:
    code: str  # no_evidence | withdrawn_only | unverified_only
    text: str


def rating_flag(cited_states: Sequence[VerificationState]) -> RatingFlag | None:
    """Flag a rating whose cited evidence is missing, withdrawn, or nowhere corroborated or confirmed."""
    if not cited_states:
        return RatingFlag("no_evidence", "cites no evidence")
    live = [s for s in cited_states if s is not VerificationState.WITHDRAWN]
    if not live:
        return RatingFlag("withdrawn_only", "rests only on withdrawn evidence")
    if not any(s in VERIFIED_STATES for s in live):
        return RatingFlag("unverified_only",
                          "rests only on unverified evidence (none corroborated or confirmed by the government)")
    return None
