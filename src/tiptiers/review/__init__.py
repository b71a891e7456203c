"""The right of reply (after the Council of Europe's GRETA procedure), as pure functions and dataclasses.

Evidence carries a verification state; per country and report year the draft goes to the government's liaison in a
`ReviewRequest` with a deadline; for each `Claim` the liaison confirms, disputes (with counter-evidence) or comments;
every `Dispute` gets a `Resolution` from an analyst; `gate_reasons` says what still blocks publication.

No database, no web: the stores (tiptiers.store.evidence, .assessments, .reviews, .questionnaires) keep the records
and call these rules.
"""

from tiptiers.review.model import (
    DEFAULT_REVIEW_MONTHS,
    VERIFIED_STATES,
    AttachedFile,
    Claim,
    ClaimComment,
    Dispute,
    GateOverride,
    InvalidTransition,
    Outcome,
    RatingFlag,
    RequestKind,
    Resolution,
    ResponseKind,
    ReviewRequest,
    SourceType,
    Stage,
    Translation,
    VerificationState,
    add_months,
    check_final,
    check_independent,
    check_resolution,
    check_transition,
    default_deadline,
    gate_reasons,
    rating_flag,
    superseding,
)
from tiptiers.review.questionnaire import QUESTIONS, Question, QuestionnaireItem, check_answers, prefill

__all__ = [
    "DEFAULT_REVIEW_MONTHS",
    "QUESTIONS",
    "VERIFIED_STATES",
    "AttachedFile",
    "Claim",
    "ClaimComment",
    "Dispute",
    "GateOverride",
    "InvalidTransition",
    "Outcome",
    "Question",
    "QuestionnaireItem",
    "RatingFlag",
    "RequestKind",
    "Resolution",
    "ResponseKind",
    "ReviewRequest",
    "SourceType",
    "Stage",
    "Translation",
    "VerificationState",
    "add_months",
    "check_answers",
    "check_final",
    "check_independent",
    "check_resolution",
    "check_transition",
    "default_deadline",
    "gate_reasons",
    "prefill",
    "rating_flag",
    "superseding",
]
