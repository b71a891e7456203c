"""Attachments: files stored once by their SHA-256, and who uploaded which.

A file is cited by evidence (`tiptiers.store.evidence`) or attached to a government's reply
(`tiptiers.store.reviews`); whether the public may download it is a visibility rule,
`tiptiers.store.publication.attachment_is_public`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

import tiptiers.store.users  # noqa: F401  (the users table, which attachment_uploads references)
from tiptiers.store import activity
from tiptiers.store.checks import EvidenceError, NotFound, check_text, utcnow
from tiptiers.store.models import Base

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


class Attachment(Base):
    """A file, stored once however often it is attached: the key is its SHA-256."""

    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AttachmentUpload(Base):
    """Who uploaded which file (through the API or a form). An account outside the staff may cite, and download,
    only files it uploaded itself: having sent the bytes, it learns nothing by naming their SHA-256."""

    __tablename__ = "attachment_uploads"

    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime)


def store_attachment(session: Session, filename: str, content: bytes, media_type: str = "application/octet-stream",
                     actor: str = "system") -> Attachment:
    """Keep a file once: the same bytes attached twice are the same row."""
    if not content:
        raise EvidenceError("file: the attachment is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise EvidenceError(f"file: {len(content)} bytes, at most {MAX_ATTACHMENT_BYTES}")
    sha = hashlib.sha256(content).hexdigest()
    existing = session.get(Attachment, sha)
    if existing is not None:
        return existing
    row = Attachment(sha256=sha, filename=check_text("filename", filename, 255), media_type=media_type[:100],
                     size=len(content), content=content, created_at=utcnow())
    try:
        with session.begin_nested():  # the same file uploaded at the same moment by someone else: keep theirs
            session.add(row)
    except IntegrityError:
        return attachment_content(session, sha)
    activity.record(session, actor, "attachment.add", f"attachment:{sha}", None,
                    {"filename": row.filename, "size": row.size, "media_type": row.media_type})
    return row


def attachment_content(session: Session, sha256: str) -> Attachment:
    row = session.get(Attachment, sha256.lower())
    if row is None:
        raise NotFound(f"no attachment {sha256}")
    return row


def note_upload(session: Session, sha256: str, user_id: int) -> None:
    """Remember that this account sent these bytes (once, however often it sends them), in the activity log too."""
    if uploaded_by(session, sha256, user_id):
        return
    activity.insert_if_absent(session, AttachmentUpload, {"sha256": sha256, "user_id": user_id, "at": utcnow()})
    from tiptiers.store.users import User  # users imports this module's neighbours; only the name is needed here

    user = session.get(User, user_id)
    activity.record(session, user.name if user else f"user {user_id}", "attachment.upload", f"attachment:{sha256}",
                    None, {"user": user.name if user else None})


def uploaded_by(session: Session, sha256: str, user_id: int) -> bool:
    return session.get(AttachmentUpload, (sha256.lower(), user_id)) is not None


def check_upload(session: Session, field: str, sha256: str | None, user_id: int) -> str | None:
    """The SHA-256 of a file this account uploaded itself, or EvidenceError naming `field`. Naming a file someone
    else uploaded is refused the same way as naming none that exists, so it tells nothing about other files."""
    if not sha256:
        return None
    sha = sha256.strip().lower()
    if not uploaded_by(session, sha, user_id):
        raise EvidenceError(f"{field}: no file you uploaded has SHA-256 {sha256[:64]!r}; upload it first "
                            "(POST /api/v1/attachments)")
    return sha
