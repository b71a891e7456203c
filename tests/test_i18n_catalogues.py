"""The message catalogues against the source: every message the templates, the Python code and the methodology
YAML mark (extracted with Babel in memory, with babel.cfg) is in messages.pot and translated in each language's
messages.po, and no catalogue keeps a message the source no longer has; and no template shows a person text outside
the catalogue (a text node or a visible attribute outside `{% trans %}` / `_()`).

Fix a failure: `pybabel extract -F babel.cfg -o src/tiptiers/locale/messages.pot --no-location --omit-header
--sort-output .`, `pybabel update -i src/tiptiers/locale/messages.pot -d src/tiptiers/locale --no-fuzzy-matching
--ignore-obsolete`, then translate the new entries (fr, es) of the .po files.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from tiptiers.web import i18n

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "tiptiers" / "locale"
TEMPLATE_DIRS = [ROOT / "src" / "tiptiers" / "web" / "templates", ROOT / "src" / "tiptiers" / "notify" / "templates"]
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]
Key = tuple[str, str | None]  # (msgid, context)


@cache
def source_messages() -> frozenset[Key]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        found.add((message if isinstance(message, str) else message[0], context))
    return frozenset(found)


def catalogue_keys(path: Path, lang: str | None = None) -> dict[Key, object]:
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    return {(m.id if isinstance(m.id, str) else m.id[0], m.context): m for m in catalog if m.id}


def test_the_template_lists_every_message_and_no_other() -> None:
    pot = set(catalogue_keys(LOCALE / "messages.pot"))
    assert sorted(source_messages() - pot) == [], "in the source, not in messages.pot"
    assert sorted(pot - source_messages()) == [], "in messages.pot, no longer in the source"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_each_catalogue_translates_every_message_and_no_stale_one(lang: str) -> None:
    path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
    entries = catalogue_keys(path, lang)
    assert sorted(source_messages() - set(entries)) == [], f"missing from {lang}"
    assert sorted(set(entries) - source_messages()) == [], f"stale in {lang} (no longer in the source)"
    untranslated = []
    for key, m in entries.items():
        strings = m.string if isinstance(m.string, tuple) else (m.string,)  # type: ignore[attr-defined]
        if m.fuzzy or not all(strings):  # type: ignore[attr-defined]
            untranslated.append(key)
    assert untranslated == [], f"untranslated or fuzzy in {lang}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders_and_markup(lang: str) -> None:
    """A translation has the %(name)s parameters and the HTML tags of its message (a lost one breaks the page)."""
    placeholders = re.compile(r"%\([a-z_0-9]+\)s|%%")
    tags = re.compile(r"</?([a-z0-9]+)")
    wrong = []
    for key, m in catalogue_keys(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang).items():
        ids = m.id if isinstance(m.id, tuple) else (m.id,)  # type: ignore[attr-defined]
        strings = m.string if isinstance(m.string, tuple) else (m.string,)  # type: ignore[attr-defined]
        want = sorted(set(placeholders.findall(ids[-1]))), sorted(tags.findall(ids[-1]))
        for s in strings:
            got = sorted(set(placeholders.findall(s))), sorted(tags.findall(s))
            if got[1] != want[1] or not set(got[0]) <= set(want[0]) | {"%%"} or (
                    len(ids) == 1 and got[0] != want[0]):
                wrong.append((key[0], s))
    assert wrong == []


def test_the_catalogues_load_and_translate() -> None:
    with i18n.use("fr"):
        assert i18n.gettext("Tier 2 Watch List") == "Catégorie 2 – liste de surveillance"
    with i18n.use("es"):
        assert i18n.gettext("Tier 2 Watch List") == "Nivel 2 – lista de vigilancia"
    assert i18n.gettext("Tier 2 Watch List") == "Tier 2 Watch List"


def test_every_country_has_a_short_name_in_each_language() -> None:
    from tiptiers.countries import country_table

    table = country_table()
    for lang in TRANSLATED:
        names = {c.iso3: i18n.country_name_in(c.iso3, "", lang) for c in table}
        assert [iso3 for iso3, name in names.items() if not name] == [], lang
    assert set(i18n._country_names()["fr"]) == set(table.by_iso3)  # no code the table does not have
    assert i18n.country_name_in("KOR", "South Korea", "fr") == "Corée du Sud"
    assert i18n.country_name_in("MMR", "Burma", "es") == "Birmania"


# --- text outside the catalogue ------------------------------------------------------------------------------------

# Words a page shows as they are in every language: names, formats, codes.
UNTRANSLATED = {"tiptiers", "JSON", "CSV", "API", "PDF", "SVG", "PNG", "ISO", "Parquet", "ICS", "TIP", "OpenAPI",
                "iCalendar", "UTC", "ZIP", "Zenodo", "GitHub", "Kelley", "Heiss", "NGO", "TVPA", "DOI", "ETag", "zip"}
VISIBLE_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "aria-description", "aria-roledescription"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
GETTEXT = {"_", "gettext", "ngettext", "pgettext"}
HOLE = "\x00"  # around the number of an expression of the template, where it is
HOLES = re.compile(HOLE + r"(\d+)" + HOLE)


class _Visible(HTMLParser):
    """Text a person reads in HTML whose expressions are holes (`\x00N\x00`): text nodes and visible attributes
    (script and style left out), and which holes are in them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.holes: set[int] = set()
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._check(data)

    def _check(self, text: str) -> None:
        self.holes.update(int(n) for n in HOLES.findall(text))
        plain = HOLES.sub(" … ", text)
        if _words(plain):
            self.found.append(" ".join(plain.split()))


def _words(text: str) -> list[str]:
    """The words to translate: not the names and formats of UNTRANSLATED, nor codes in capitals (JPN, KTIP)."""
    return [w for w in WORD.findall(text) if w not in UNTRANSLATED and not w.isupper()]


def _visible_constants(node: nodes.Node) -> list[str]:
    """String constants an Output shows as they are (`{{ x or "unknown" }}`), not those given to a call or filter."""
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return [node.value] if _words(node.value) else []
    if isinstance(node, nodes.CondExpr):
        return _visible_constants(node.expr1) + (_visible_constants(node.expr2) if node.expr2 else [])
    if isinstance(node, nodes.Or | nodes.And):
        return _visible_constants(node.left) + _visible_constants(node.right)
    if isinstance(node, nodes.Concat):
        return [s for n in node.nodes for s in _visible_constants(n)]
    return []


def outside_catalogue(source: str, env: Environment) -> list[str]:
    """The texts of a template a person reads that no gettext call or trans block holds: literal HTML text, and
    string constants printed where text is (not those of a class or an href)."""
    tree = env.parse(source)
    pieces: list[str] = []
    constants: dict[int, list[str]] = {}
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                pieces.append(child.data)
            else:
                constants[len(constants)] = _visible_constants(child)
                pieces.append(f"{HOLE}{len(constants) - 1}{HOLE}")
    parser = _Visible()
    parser.feed("".join(pieces))
    parser.close()
    return parser.found + [c for n in sorted(parser.holes) for c in constants.get(n, [])]


def templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*") if p.suffix in (".html", ".txt"))


def test_no_template_shows_text_outside_the_catalogue() -> None:
    env = Environment(extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True
    found = {}
    for path in templates():
        texts = outside_catalogue(path.read_text(encoding="utf-8"), env)
        if texts:
            found[str(path.relative_to(ROOT / "src" / "tiptiers"))] = texts
    assert found == {}


def test_the_checker_sees_text_and_attributes() -> None:
    env = Environment(extensions=["jinja2.ext.i18n"])
    assert outside_catalogue('<p title="Open it">{% trans %}Fine{% endtrans %} {{ _("Also") }}</p>', env) == [
        "Open it"]
    assert outside_catalogue("<p>{{ n }} cables</p><p>{{ x or 'unknown' }}</p>", env) == ["… cables", "unknown"]
    assert outside_catalogue("<p class=\"{{ 'muted' if x }}\">{{ _('Fine') }} JPN</p>", env) == []
    assert outside_catalogue("<script>var a = 'text';</script><p>{{ n }} · JSON</p>", env) == []
