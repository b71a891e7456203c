"""The interface in English, French and Spanish: the request's language, the message catalogues, and dates,
numbers and country names for it.

The language of a request: `?lang=fr` (kept in a cookie), else the cookie, else `Accept-Language` (Babel's
negotiation), else English. It is held in a context variable for the request (set by `LanguageMiddleware`, the
outermost layer), so that templates, the Python strings they show (tier labels, role names, flash messages) and the
page cache all read the same one. The JSON API stays English (its paths are answered in English whatever the
request asks; an error adds `shown`, its detail in `reader_language`, for the pages' scripts), and so does the CLI
(which never sets a language).

Catalogues: `tiptiers/locale/{fr,es}/LC_MESSAGES/messages.po` (and `messages.pot`), in the standard gettext form,
extracted with Babel (babel.cfg). They are read from the .po files when first needed, with
`babel.messages.pofile.read_po`, and turned into gettext translations in memory: neither `pip install -e .` nor a
wheel build compiles .mo files by themselves, and a compiled file nobody regenerates would go stale after each
edit of a .po; reading the .po (a few milliseconds per language) needs no build step at all. A fuzzy or empty
translation is left out (the English text shows), as msgfmt does.

Module import is cheap (no Babel): the CLI and the store import the markers here and never pay for the catalogues.
"""

from __future__ import annotations

import csv
import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import pass_context
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "es": "Español"}  # each in its own language
DEFAULT = "en"
COOKIE = "tiptiers_lang"
SCOPE_KEY = "tiptiers.lang"  # where the middleware leaves the request's language (the page cache keys on it)
_current: ContextVar[str] = ContextVar("tiptiers_language", default=DEFAULT)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined (a label in a table); it is translated where shown."""
    return message


# --- catalogues ----------------------------------------------------------------------------------------------------


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The gettext translations of a language, from its .po file (English: the source strings themselves)."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = resources.files("tiptiers").joinpath("locale", lang, "LC_MESSAGES", "messages.po")
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries left out
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def current() -> str:
    """The language of the request being answered (English outside one)."""
    return _current.get()


@contextmanager
def use(lang: str) -> Iterator[None]:
    """Render in `lang` within the block (an e-mail in its recipient's language, a PDF in the one asked for)."""
    token = _current.set(lang if lang in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(current()).pgettext(context, message)


_ = gettext


# --- dates, numbers, country names ---------------------------------------------------------------------------------


def format_date(value: date | datetime | str | None, form: str = "medium") -> str:
    """A date for a person to read in the current language: "1 déc. 2026", "1 dic 2026"; in English the
    ISO form the English pages have always shown (2026-12-01). A string (an ISO date as some records hold it) is
    read as one."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        day = value.date() if isinstance(value, datetime) else value
    if current() == DEFAULT:
        return day.isoformat()
    from babel.dates import format_date as babel_date

    return babel_date(day, form, locale=current())


def format_datetime(value: datetime | None, form: str = "medium") -> str:
    """A date and time (UTC, as stored) in the current language (English: 2026-12-01 14:05)."""
    if value is None:
        return ""
    if current() == DEFAULT:
        return value.strftime("%Y-%m-%d %H:%M")
    from babel.dates import format_datetime as babel_datetime

    return babel_datetime(value, "short" if form == "short" else "d MMM y HH:mm", locale=current())


def format_number(value: float | int | None, digits: int | None = None) -> str:
    """A number in the current language: 12,345 / 12 345 / 12.345; `digits` after the point if given."""
    if value is None:
        return ""
    from babel.numbers import format_decimal

    if digits is None:
        return format_decimal(value, locale=current())
    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0", locale=current())


@cache
def _country_names() -> dict[str, dict[str, str]]:
    """data/country_names_i18n.csv: each country's short name in French and Spanish, as a newspaper writes it."""
    with resources.files("tiptiers.data").joinpath("country_names_i18n.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {lang: {r["iso3"]: r[lang] for r in rows if r.get(lang)} for lang in LANGUAGES if lang != DEFAULT}


def country_name_in(iso3: str, english: str, lang: str | None = None) -> str:
    """A country's name in the current language (or `lang`); the English name where the table has none."""
    lang = lang or current()
    if lang == DEFAULT:
        return english
    return _country_names().get(lang, {}).get(iso3, english)


def collation_key(text: str) -> str:
    """A name's place in an alphabetical list in any of our languages: accents and case left out (Égypte with the
    E's, not after Zimbabwe)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# --- the request's language ----------------------------------------------------------------------------------------


def accept_language(header: str) -> list[str]:
    """The languages of an Accept-Language header, best first (q=0 left out)."""
    weighted = []
    for i, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag.strip() and q > 0:
            weighted.append((-q, i, tag.strip()))
    return [tag for _q, _i, tag in sorted(weighted)]


@cache
def _negotiate(header: str) -> str:
    from babel import negotiate_locale

    preferred = [t.replace("-", "_") for t in accept_language(header) if t != "*"]
    return negotiate_locale(preferred, list(LANGUAGES)) or DEFAULT


def _cookie(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _eq, val = part.strip().partition("=")
                if key == COOKIE:
                    return val.strip()
    return None


def asked(scope: Scope) -> str | None:
    """The language a `?lang=` of the request names, if it is one of ours."""
    for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        if key == "lang" and value in LANGUAGES:
            return value
    return None


def english_only(path: str) -> bool:
    """The JSON API (and its error texts) stays English; a download under /api/ (a PDF) follows the request."""
    return path.startswith("/api/") and not path.endswith(".pdf")


def choose(scope: Scope) -> str:
    """The request's language: `?lang=`, the cookie, Accept-Language, English (the JSON API: English)."""
    if english_only(scope.get("path", "")):
        return DEFAULT
    return reader_language(scope)


def reader_language(scope: Scope) -> str:
    """The language the reader asks for (`?lang=`, the cookie, Accept-Language, English), also where the answer
    stays English: a JSON error's `shown`, the detail as the page that sent the request shows it."""
    lang = asked(scope)
    if lang:
        return lang
    headers = scope.get("headers", [])
    cookie = _cookie(headers)
    if cookie in LANGUAGES:
        return cookie
    header = next((v for n, v in headers if n == b"accept-language"), b"").decode("latin-1")[:500]
    return _negotiate(header) if header else DEFAULT


VARY = b"Accept-Language, Cookie"


class LanguageMiddleware:
    """Outermost: sets the request's language for everything inside; `?lang=` sets the cookie; each page says it
    varies by Accept-Language and Cookie (the language comes from them)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang = choose(scope)
        scope[SCOPE_KEY] = lang
        varies = not english_only(scope.get("path", ""))
        remember = asked(scope) if varies else None
        if remember and _cookie(scope.get("headers", [])) == remember:
            remember = None

        async def send_with(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if varies:
                    vary = [v for n, v in headers if n.lower() == b"vary"]
                    headers = [(n, v) for n, v in headers if n.lower() != b"vary"]
                    headers.append((b"vary", b", ".join([*vary, VARY])))
                if remember:
                    headers.append((b"set-cookie", f"{COOKIE}={remember}; Path=/; Max-Age=31536000; "
                                                   "SameSite=Lax".encode()))
                message["headers"] = headers
            await send(message)

        token = _current.set(lang)
        try:
            await self.app(scope, receive, send_with)
        finally:
            _current.reset(token)


def switch_url(path: str, query: str, lang: str, prefix_links: bool = False) -> str:
    """The address of this page in `lang`: `?lang=` on the live site (the other parameters kept), the language's
    prefix in a static export (`/fr/...`, English at the root)."""
    if prefix_links:
        return ("" if lang == DEFAULT else f"/{lang}") + path
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "lang"]
    return f"{path}?{urlencode([*params, ('lang', lang)])}"


def language_url(context: Any, lang: str) -> str:
    """The switcher's link to this page in `lang` (a template global; `static_languages` on the app's state: the
    static export, whose languages live under prefixes)."""
    request = context.get("request")
    if request is None:
        return "/" if lang == DEFAULT else f"/{lang}/"
    prefixed = bool(getattr(request.app.state, "static_languages", False))
    return switch_url(request.url.path, request.url.query, lang, prefixed)


def extract_yaml_titles(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[int, None, str,
                                                                                                    list[str]]]:
    """A Babel extractor (babel.cfg) for the methodology YAML: each `title:` (a standard, criterion or step of the
    cycle) is a message, and so is each step's `description:` in a cycle.yaml (the calendar shows it as the
    methodology reads it: folded, stripped), and so is each `reference:` and `uncertain:` of a step and its values
    (the calendar's source column: a translator keeps the citations, translates the words around them), and each
    tier rule's `description:` in a tier_rules.yaml (a narrative's list of the law's rules; a rule it names by id
    stays an id in the translation). The tier rules' references and caveats, the statute's own words, stay
    English."""
    text = fileobj.read()
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    lines = text.splitlines()
    for lineno, line in enumerate(lines, 1):
        key, sep, value = line.strip().partition(":")
        if sep and key == "title" and value.strip():
            yield lineno, None, value.strip().strip("'\""), []
    if str(getattr(fileobj, "name", "")).endswith("tier_rules.yaml"):  # each rule's description, as the loader reads it
        import yaml

        for key, node in (yaml.safe_load(text) or {}).items():
            if isinstance(node, dict) and str(node.get("description") or "").strip():
                lineno = next((i for i, line in enumerate(lines, 1) if line.startswith(f"{key}:")), 0)
                yield lineno, None, str(node["description"]).strip(), []
    if str(getattr(fileobj, "name", "")).endswith("cycle.yaml"):
        import yaml

        from tiptiers.methodology.cycle import _text

        for key, node in (yaml.safe_load(text) or {}).items():
            if not isinstance(node, dict):
                continue
            lineno = next((i for i, line in enumerate(lines, 1) if line.startswith(f"{key}:")), 0)
            if node.get("description"):
                yield lineno, None, _text(node["description"]), []
            # the calendar's source column: each reference and what is not verified, the step's and its values'
            for entry in [node.get("metadata") or {}, *(v for v in (node.get("values") or {}).values()
                                                        if isinstance(v, dict))]:
                for name in ("reference", "uncertain"):
                    if entry.get(name):
                        yield lineno, None, _text(entry[name]), []


def install(env: Any) -> None:
    """Jinja2's i18n extension on an environment, with this module's gettext (new style: autoescaped, with
    %(name)s parameters) and the filters that format dates and numbers for the language."""
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True  # babel.cfg extracts with trimmed = true: the same msgids
    env.install_gettext_callables(gettext, ngettext, newstyle=True, pgettext=pgettext)
    env.globals["current_language"] = current
    env.globals["LANGUAGES"] = LANGUAGES
    env.globals["language_url"] = pass_context(language_url)
    env.filters["date"] = format_date
    env.filters["datetime"] = format_datetime
    env.filters["number"] = format_number


# --- the names of the languages people write in ---------------------------------------------------------------------


def language_name(tag: str) -> str:
    """A language's name in the interface's language ("Spanish", "espagnol", "español"; "Portuguese (BR)"), from
    Babel's locale data; English (and a tag Babel does not know) as the store names it."""
    from tiptiers.store import texts

    if current() == DEFAULT:
        return texts.language_name(tag)
    from babel import Locale

    base, _, rest = tag.partition("-")
    name = Locale.parse(current()).languages.get(base.lower())
    if not name:
        return texts.language_name(tag)
    return f"{name} ({rest})" if rest else name


def common_languages() -> tuple[tuple[str, str], ...]:
    """(tag, name in the interface's language) of the languages a form offers, by that name."""
    return _common_languages(current())


@cache
def _common_languages(lang: str) -> tuple[tuple[str, str], ...]:
    """Made once per interface language: every form with a language select shows the ~180 names."""
    from tiptiers.store import texts

    if lang == DEFAULT:
        return texts.common_languages()
    with use(lang):
        return tuple(sorted(((code, language_name(code)) for code, _ in texts.common_languages()),
                            key=lambda pair: pair[1].casefold()))
