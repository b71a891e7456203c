"""Questionnaires: a government's answers to the yearly questions, pre-filled from its most recent earlier answers.

The questions and the check of an answer are the pure `tiptiers.review.questionnaire`; sending the questionnaire is a
review request (`tiptiers.store.reviews.send_request` with kind `questionnaire`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tiptiers.review import QuestionnaireItem, check_answers, prefill
from tiptiers.store import activity
from tiptiers.store.checks import EvidenceError, check_country_year, utcnow
from tiptiers.store.models import Base
from tiptiers.store.texts import DEFAULT_LANGUAGE, TextTranslation, check_language, translations


class QuestionnaireAnswers(Base):
    __tablename__ = "questionnaire_answers"
    __table_args__ = (UniqueConstraint("iso3", "year", name="uq_questionnaire_iso3_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, str]] = mapped_column(JSON)
    # the language (BCP 47) each answer is written in, by question id; an answer not listed is in English (every
    # answer saved before languages were recorded)
    languages: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    def language_of(self, question: str) -> str:
        return (self.languages or {}).get(question, DEFAULT_LANGUAGE)


def _answers(session: Session, iso3: str, year: int) -> QuestionnaireAnswers | None:
    return session.scalar(select(QuestionnaireAnswers).where(QuestionnaireAnswers.iso3 == iso3,
                                                             QuestionnaireAnswers.year == year))


def questionnaire(session: Session, iso3: str, year: int) -> tuple[list[QuestionnaireItem], int | None]:
    """This year's form pre-filled with the government's most recent earlier answers, and that earlier year."""
    iso3, year = check_country_year(iso3, year)
    previous = session.scalar(select(QuestionnaireAnswers).where(
        QuestionnaireAnswers.iso3 == iso3, QuestionnaireAnswers.year < year)
        .order_by(QuestionnaireAnswers.year.desc()).limit(1))
    current = _answers(session, iso3, year)
    items = prefill(previous.answers if previous else None, current.answers if current else None)
    return items, previous.year if previous else None


def save_answers(session: Session, iso3: str, year: int, answers: Mapping[str, str], actor: str,
                 language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Save the answers given (blank ones keep what was there), each new or changed one recorded as written in
    `language` (BCP 47)."""
    iso3, year = check_country_year(iso3, year)
    written_in = check_language("language", language)
    try:
        clean = check_answers(answers)
    except ValueError as exc:
        raise EvidenceError(str(exc)) from None
    row = _answers(session, iso3, year)
    before = {"answers": dict(row.answers), "languages": dict(row.languages or {})} if row else None
    stored = dict(row.answers) if row else {}
    # an answer sent again unchanged (the form sends them all) keeps the language it was written in
    languages = {**((row.languages or {}) if row else {}),
                 **{question: written_in for question, text in clean.items() if stored.get(question) != text}}
    if row is None:
        row = QuestionnaireAnswers(iso3=iso3, year=year, answers=clean, languages=languages, updated_by=actor,
                                   updated_at=utcnow())
        session.add(row)
    else:
        row.answers, row.languages = {**row.answers, **clean}, languages
        row.updated_by, row.updated_at = actor, utcnow()
    session.flush()
    activity.record(session, actor, "questionnaire.save", f"questionnaire:{iso3}/{year}", before,
                    {"answers": dict(row.answers), "languages": dict(row.languages)})
    return dict(row.answers)


def answer_texts(session: Session, iso3: str, year: int) -> dict[str, tuple[str, list[TextTranslation]]]:
    """This year's saved answers: per question id, the language it is written in and the office's translations."""
    row = _answers(session, iso3.upper(), year)
    if row is None:
        return {}
    found = translations(session, "answer", [f"{row.id}:{q}" for q in row.answers])
    return {q: (row.language_of(q), found.get(f"{row.id}:{q}", [])) for q in row.answers}
