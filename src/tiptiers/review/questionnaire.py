"""The yearly questionnaire to governments, pre-filled with their last answers to lighten the burden.

A government confirms or updates last year's answers instead of starting over (the "cooperation fatigue" of
08TOKYO1528). The questions follow the TVPA minimum standards: prosecution, protection, prevention, partnership.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tiptiers.tiers import N_  # the core's marker: the questionnaire page translates the questions


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    standard: str  # prosecution | protection | prevention | partnership


QUESTIONS: tuple[Question, ...] = (
    Question("laws", N_("Which laws criminalise sex trafficking and labour trafficking, including recruitment by "
                        "fraud or deception? Cite the articles and their penalties."), "prosecution"),
    Question("law_enforcement", N_("How many trafficking investigations, prosecutions and convictions were there in "
                                   "the reporting period, by form of exploitation, and what sentences were "
                                   "imposed?"), "prosecution"),
    Question("official_complicity", N_("What investigations, prosecutions or convictions of officials complicit in "
                                       "trafficking took place?"), "prosecution"),
    Question("victims_identified", N_("How many victims were identified, by form of exploitation, sex, age and "
                                      "nationality, and with what procedures?"), "protection"),
    Question("victim_services", N_("What shelter, medical, legal and psychological services did victims receive, "
                                   "and with what public funding?"), "protection"),
    Question("non_punishment", N_("How are victims protected from punishment for unlawful acts they were compelled "
                                  "to commit, and do foreign victims have alternatives to removal?"), "protection"),
    Question("prevention", N_("What national action plan, awareness campaigns and measures against recruitment "
                              "fees and fraudulent recruitment were in force?"), "prevention"),
    Question("demand", N_("What was done to reduce the demand for commercial sex acts and for forced labour?"),
             "prevention"),
    Question("partnership", N_("With which governments, international organisations and NGOs did the government "
                               "cooperate against trafficking?"), "partnership"),
)

QUESTION_IDS = frozenset(q.id for q in QUESTIONS)


@dataclass(frozen=True)
class QuestionnaireItem:
    id: str
    text: str
    standard: str
    answer: str  # what to show in the form: this year's answer, else last year's, else empty
    origin: str  # "this_year" | "last_year" | "new"
    previous_answer: str | None  # last year's answer, for comparison


def check_answers(answers: Mapping[str, str]) -> dict[str, str]:
    """Answers keyed by question id; an unknown id is an error naming it. Blank answers are dropped."""
    unknown = sorted(set(answers) - QUESTION_IDS)
    if unknown:
        raise ValueError(f"answers: unknown question {', '.join(unknown)}; known: {', '.join(q.id for q in QUESTIONS)}")
    return {k: v.strip() for k, v in answers.items() if isinstance(v, str) and v.strip()}


def prefill(
    previous: Mapping[str, str] | None,
    current: Mapping[str, str] | None = None,
    questions: Sequence[Question] = QUESTIONS,
) -> list[QuestionnaireItem]:
    """The form for this year: this year's saved answers first, then last year's, so nothing is asked twice."""
    previous, current = previous or {}, current or {}
    items = []
    for q in questions:
        if q.id in current:
            answer, origin = current[q.id], "this_year"
        elif q.id in previous:
            answer, origin = previous[q.id], "last_year"
        else:
            answer, origin = "", "new"
        items.append(QuestionnaireItem(q.id, q.text, q.standard, answer, origin, previous.get(q.id)))
    return items
