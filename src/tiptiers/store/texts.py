"""The languages of what governments write, and the office's translations of it.

Every text a government writes (an answer to a claim, a dispute included; a final comment; a questionnaire answer)
keeps the language it was written in, a BCP 47 tag (`es`, `fr`, `ar`, `pt-BR`, `zh-Hant`). Staff (admin, analyst)
may add a translation per text and language: one stands at a time; a new one replaces it, and the log keeps the old
one (`translation.add`, `translation.replace`).

Language tags are checked against ISO 639 (languages), ISO 15924 (scripts) and ISO 3166 / UN M.49 (regions) as
pycountry ships them: a tag such as `es-419` or `sr-Cyrl-RS` passes, `xx` or `english` does not. A language with a
two-letter code is written with it (`spa` becomes `es`), as BCP 47 requires.

Every function works in the caller's session; bad input raises `EvidenceError` naming the field, a text that does
not exist `NotFound`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import pycountry
from sqlalchemy import CheckConstraint, DateTime, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tiptiers.store import activity
from tiptiers.store.checks import EvidenceError, NotFound, check_country_year, check_text, sql_in, utcnow
from tiptiers.store.models import Base

DEFAULT_LANGUAGE = "en"  # what a text without a stated language was written in (every text before 0021)
MAX_TRANSLATION = 20_000
TEXT_KINDS = ("response", "final_comment", "answer")  # an answer to a claim, a final comment, a questionnaire answer

_TAG = re.compile(r"^(?P<language>[A-Za-z]{2,3})(?:-(?P<script>[A-Za-z]{4}))?(?:-(?P<region>[A-Za-z]{2}|\d{3}))?$")


@lru_cache(maxsize=1)
def _regions_m49() -> frozenset[str]:
    # the UN M.49 areas BCP 47 uses (419 Latin America and the Caribbean, 001 World, ...) and every country's number
    return frozenset({"001", "002", "003", "005", "009", "011", "013", "014", "015", "017", "018", "019", "021",
                      "029", "030", "034", "035", "039", "053", "054", "057", "061", "142", "143", "145", "150",
                      "151", "154", "155", "202", "419"} | {c.numeric for c in pycountry.countries})


def check_language(field: str, value: str | None) -> str:
    """The BCP 47 tag in its canonical case (`es`, `pt-BR`, `zh-Hant`), or EvidenceError naming `field`."""
    raw = (value or "").strip()
    if not raw:
        raise EvidenceError(f"{field}: must not be empty; give a BCP 47 language tag such as en, fr, es or ar")
    found = _TAG.match(raw.replace("_", "-"))
    language = None
    if found:
        code = found["language"].lower()
        language = (pycountry.languages.get(alpha_2=code) if len(code) == 2 else
                    pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code))
    if found is None or language is None:
        raise EvidenceError(f"{field}: {raw[:40]!r} is not a known language tag (BCP 47, e.g. en, fr, es, ar, "
                            "pt-BR)")
    parts = [getattr(language, "alpha_2", None) or language.alpha_3]
    if found["script"]:
        script = pycountry.scripts.get(alpha_4=found["script"].title())
        if script is None:
            raise EvidenceError(f"{field}: {found['script']!r} in {raw[:40]!r} is not an ISO 15924 script")
        parts.append(script.alpha_4)
    if found["region"]:
        region = found["region"].upper()
        if not (pycountry.countries.get(alpha_2=region) or region in _regions_m49()):
            raise EvidenceError(f"{field}: {found['region']!r} in {raw[:40]!r} is not a region (ISO 3166 or UN "
                                "M.49)")
        parts.append(region)
    return "-".join(parts)


def language_name(tag: str) -> str:
    """The language of a tag in English, for a person ("Spanish", "Portuguese (BR)"); the tag itself if unknown."""
    try:
        canonical = check_language("language", tag)
    except EvidenceError:
        return tag
    base, *rest = canonical.split("-")
    language = pycountry.languages.get(alpha_2=base) if len(base) == 2 else pycountry.languages.get(alpha_3=base)
    name = language.name if language is not None else base
    return f"{name} ({'-'.join(rest)})" if rest else name


@lru_cache(maxsize=1)
def common_languages() -> tuple[tuple[str, str], ...]:
    """(tag, English name) of every language with a two-letter ISO 639-1 code, by name: what a form offers."""
    return tuple(sorted(((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2")),
                        key=lambda pair: pair[1]))


# --- translations ------------------------------------------------------------------------------------------------


class TextTranslation(Base):
    """The office's translation of one text a government wrote, into one language (one stands per language)."""

    __tablename__ = "text_translations"
    __table_args__ = (
        UniqueConstraint("kind", "ref", "language", name="uq_text_translations_text_language"),
        CheckConstraint(sql_in("kind", list(TEXT_KINDS)), name="ck_text_translations_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # which text: the id of the claim response or final comment; for a questionnaire answer "ROW_ID:QUESTION"
    ref: Mapped[str] = mapped_column(String(100), index=True)
    iso3: Mapped[str] = mapped_column(String(3), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    language: Mapped[str] = mapped_column(String(35))
    text: Mapped[str] = mapped_column(Text)
    original: Mapped[str] = mapped_column(Text)  # the government's words as they were when translated
    translator: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref, "iso3": self.iso3, "year": self.year, "language": self.language,
                "text": self.text, "translator": self.translator, "at": self.at.isoformat(timespec="seconds")}


@dataclass(frozen=True)
class SourceText:
    """A text a government wrote, as a translation refers to it."""

    kind: str
    ref: str
    iso3: str
    year: int
    language: str
    text: str


def source_text(session: Session, iso3: str, year: int, kind: str, text_id: str) -> SourceText:
    """The government's text `text_id` of that kind in the country-year (NotFound otherwise). A questionnaire answer
    is named by its question id (`laws`)."""
    from tiptiers.store.questionnaires import QuestionnaireAnswers
    from tiptiers.store.reviews import ClaimResponse, FinalComment, ReviewRequestRow

    iso3, year = check_country_year(iso3, year)
    if kind not in TEXT_KINDS:
        raise EvidenceError(f"text_kind: {kind[:30]!r} is not one of {', '.join(TEXT_KINDS)}")
    text_id = (text_id or "").strip()
    if not text_id:
        raise EvidenceError("text_id: must not be empty")
    missing = NotFound(f"no {kind.replace('_', ' ')} {text_id[:40]!r} of {iso3} {year}")
    if kind == "answer":
        row = session.scalar(select(QuestionnaireAnswers).where(QuestionnaireAnswers.iso3 == iso3,
                                                                QuestionnaireAnswers.year == year))
        if row is None or not (row.answers.get(text_id) or "").strip():
            raise missing
        return SourceText(kind, f"{row.id}:{text_id}", iso3, year, row.language_of(text_id), row.answers[text_id])
    if not text_id.isdigit():
        raise EvidenceError(f"text_id: {text_id[:20]!r} is not a number")
    if kind == "response":
        response = session.get(ClaimResponse, int(text_id))
        request = session.get(ReviewRequestRow, response.request_id) if response is not None else None
        if response is None or request is None or (request.iso3, request.year) != (iso3, year):
            raise missing
        if not response.text.strip():
            raise EvidenceError(f"text_id: answer #{text_id} has no words to translate (a bare confirmation)")
        return SourceText(kind, text_id, iso3, year, response.language, response.text)
    comment = session.get(FinalComment, int(text_id))
    if comment is None or (comment.iso3, comment.year) != (iso3, year):
        raise missing
    return SourceText(kind, text_id, iso3, year, comment.language, comment.text)


def translate(session: Session, iso3: str, year: int, kind: str, text_id: str, language: str, text: str,
              actor: str) -> TextTranslation:
    """Add the office's translation of a government's text into `language`, or replace the one that stood (the
    same words again change nothing)."""
    source = source_text(session, iso3, year, kind, text_id)
    target = check_language("language", language)
    if target == source.language:
        raise EvidenceError(f"language: the text is written in {language_name(target)} already; a translation "
                            "is into another language")
    body = check_text("text", text, MAX_TRANSLATION)
    row = session.scalar(select(TextTranslation).where(TextTranslation.kind == kind, TextTranslation.ref == source.ref,
                                                       TextTranslation.language == target))
    before = row.as_dict() if row is not None else None
    if row is not None and row.text == body and row.original == source.text:
        return row  # the same translation again: nothing changes, nothing is logged
    if row is None:
        row = TextTranslation(kind=kind, ref=source.ref, iso3=source.iso3, year=source.year, language=target)
        session.add(row)
    row.text, row.original, row.translator, row.at = body, source.text, actor, utcnow()
    session.flush()
    activity.record(session, actor, "translation.replace" if before else "translation.add",
                    f"translation:{source.iso3}/{source.year}/{kind}/{source.ref}", before, row.as_dict())
    return row


def translations(session: Session, kind: str, refs: list[str]) -> dict[str, list[TextTranslation]]:
    """The translations standing for each of these texts, by language, in one query per thousand texts."""
    found: dict[str, list[TextTranslation]] = {}
    for i in range(0, len(refs), 1000):
        for row in session.scalars(select(TextTranslation).where(TextTranslation.kind == kind,
                                                                 TextTranslation.ref.in_(refs[i:i + 1000]))
                                   .order_by(TextTranslation.language)):
            found.setdefault(row.ref, []).append(row)
    return found
