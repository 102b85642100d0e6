"""The Chinese catalogue: complete, compiled, used by default; English one POST away."""

import ast
import gettext
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"

HEADLINE_EN = "Brand communication for startups, without an agency's margin."
HEADLINE_ZH = "创业公司的品牌传播，没有中间商赚差价。"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%")


# --- a tiny .po reader (polib is not a dependency) ---------------------------------------------


def _po_entries(path: Path = PO) -> list[dict]:
    """Entries of a .po file as dicts: msgctxt, msgid, msgid_plural, msgstr (str or list),
    flags, line. Obsolete (#~) entries are left out, as msgfmt leaves them out."""
    entries: list[dict] = []
    entry: dict | None = None
    field: str | None = None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is not None and field is not None:  # a comment after a message starts anew
                finish()
                entry, field = None, None
            entry = entry or {"flags": set(), "line": number}
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith('"'):
            text = ast.literal_eval(line)
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += text
            else:
                entry[field] += text
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword in {"msgctxt", "msgid"} and entry is not None and "msgid" in entry:
            finish()
            entry = None
        if entry is None:
            entry = {"flags": set(), "line": number}
        value = ast.literal_eval(rest)
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            entry.setdefault("msgstr", {})[int(match.group(1))] = value
            field = ("msgstr", int(match.group(1)))
        else:
            entry[keyword] = value
            field = keyword
    finish()
    for item in entries:
        if isinstance(item.get("msgstr"), dict):
            item["msgstr"] = [item["msgstr"][i] for i in sorted(item["msgstr"])]
    return entries


def _messages() -> list[dict]:
    return [entry for entry in _po_entries() if entry["msgid"] != ""]


def _header() -> dict[str, str]:
    header = next(entry for entry in _po_entries() if entry["msgid"] == "")
    fields = {}
    for line in header["msgstr"].splitlines():
        name, _colon, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def _translations(entry: dict) -> list[str]:
    value = entry.get("msgstr", "")
    return value if isinstance(value, list) else [value]


def _where(entry: dict) -> str:
    return f"django.po:{entry['line']} {entry['msgid']!r}"


# --- (a) the catalogue is complete ---------------------------------------------------------------


def test_catalogue_exists_and_is_not_empty():
    assert PO.is_file(), "run `make messages`"
    assert MO.is_file(), "run `python manage.py compilemessages`"
    assert len(_messages()) > 100


def test_header_is_simplified_chinese_utf8_with_one_plural_form():
    header = _header()
    assert header["Language"] == "zh_Hans"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    header_entry = next(entry for entry in _po_entries() if entry["msgid"] == "")
    assert "fuzzy" not in header_entry["flags"]


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [_where(e) for e in _messages() if not all(_translations(e))]
    fuzzy = [_where(e) for e in _messages() if "fuzzy" in e["flags"]]
    assert not untranslated, "untranslated: " + "; ".join(untranslated)
    assert not fuzzy, "fuzzy: " + "; ".join(fuzzy)


def test_plural_messages_have_exactly_one_form():
    plurals = [e for e in _messages() if "msgid_plural" in e]
    assert plurals
    wrong = [_where(e) for e in plurals if len(_translations(e)) != 1]
    assert not wrong


def test_translations_keep_every_placeholder_and_tag():
    broken = []
    for entry in _messages():
        for source in filter(None, (entry["msgid"], entry.get("msgid_plural"))):
            wanted = sorted(PLACEHOLDER.findall(source))
            tags = sorted(re.findall(r"<[^>]+>", source))
            for text in _translations(entry):
                if sorted(PLACEHOLDER.findall(text)) != wanted:
                    broken.append(f"{_where(entry)} placeholders")
                if sorted(re.findall(r"<[^>]+>", text)) != tags:
                    broken.append(f"{_where(entry)} markup")
    assert not broken, "; ".join(sorted(set(broken)))


def test_translations_are_chinese():
    """Each translation carries Chinese text, unless the source is a name kept as is."""
    kept = {"Pre-A"}
    latin_only = [
        _where(e)
        for e in _messages()
        if e["msgid"] not in kept
        and not all(re.search(r"[\u3000-\u303f\u4e00-\u9fff]", text) for text in _translations(e))
    ]
    assert not latin_only


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_msgfmt_check_passes_with_nothing_fuzzy_or_untranslated(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "check.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "translated message" in result.stderr
    assert "fuzzy" not in result.stderr
    assert "untranslated" not in result.stderr


# --- (b) the compiled catalogue is current ------------------------------------------------------


def test_compiled_catalogue_is_not_older_than_the_source():
    # A second of slack: a fresh checkout writes both files in whatever order it likes.
    assert MO.stat().st_mtime >= PO.stat().st_mtime - 1, (
        "django.po changed after django.mo: run `python manage.py compilemessages`"
    )


def test_compiled_catalogue_matches_the_source():
    expected: dict = {}
    for entry in _po_entries():
        if "fuzzy" in entry["flags"] and entry["msgid"] != "":
            continue  # msgfmt leaves fuzzy messages out
        key = entry["msgid"]
        if "msgctxt" in entry:
            key = f"{entry['msgctxt']}\x04{key}"
        if "msgid_plural" in entry:
            for index, text in enumerate(_translations(entry)):
                if text:
                    expected[(key, index)] = text
        elif key == "":
            # Recent versions of msgfmt leave the creation date out of the compiled header.
            expected[key] = re.sub(r"(?m)^POT-Creation-Date:.*\n", "", entry["msgstr"])
        elif entry["msgstr"]:
            expected[key] = entry["msgstr"]
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    # The standard library offers no public way to list a catalogue's messages.
    catalog = dict(compiled._catalog)
    catalog[""] = re.sub(r"(?m)^POT-Creation-Date:.*\n", "", catalog.get("", ""))
    assert catalog.keys() == expected.keys(), (
        "django.mo is stale: run `python manage.py compilemessages`"
    )
    stale = [key for key, text in expected.items() if catalog[key] != text]
    assert not stale, f"django.mo is stale for {stale[:5]}"


def test_django_uses_the_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Post a brief") == "发布需求"
        # Other tests look for these words in the PM's admin pages.
        assert translation.gettext("audit history") == "审计记录"
        assert "贝叶斯" in translation.gettext("Bayesian rating %(r)s") % {"r": "4.5"}
        assert "小时" in translation.gettext("%(h).0f h left") % {"h": 3}
        assert (
            translation.ngettext("Re-matched %(n)s time.", "Re-matched %(n)s times.", 3) % {"n": 3}
            == "已重新匹配 3 次。"
        )
    with translation.override("en"):
        assert translation.gettext("Post a brief") == "Post a brief"


# --- (c) Chinese by default, English after the switch -------------------------------------------


def test_chinese_is_the_default_language():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert str(MESSAGES.parent.parent) in [str(path) for path in settings.LOCALE_PATHS]


@pytest.mark.django_db
def test_landing_page_answers_in_chinese_by_default(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert HEADLINE_ZH in html
    assert HEADLINE_EN not in html
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_landing_page_answers_in_chinese_to_a_chinese_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")

    assert HEADLINE_ZH in response.content.decode()


@pytest.mark.django_db
def test_switching_to_english_and_back(client):
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert switched.status_code == 302
    assert switched["Location"] == "/"
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert HEADLINE_EN in html
    assert HEADLINE_ZH not in html

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert HEADLINE_ZH in client.get("/").content.decode()


@pytest.mark.django_db
def test_switcher_refuses_an_unknown_language(client):
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})

    assert HEADLINE_ZH in client.get("/").content.decode()


@pytest.mark.django_db
def test_login_page_follows_the_chosen_language(client):
    login = reverse("account_login")
    assert "忘记密码？" in client.get(login).content.decode()

    client.post(reverse("set_language"), {"language": "en", "next": login})

    html = client.get(login).content.decode()
    assert "Forgot your password?" in html
    assert "忘记密码？" not in html


# --- (d) the switcher is on the pages ----------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: action, method and the named controls with their values."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._open = {
                "action": attrs.get("action"),
                "method": (attrs.get("method") or "get").lower(),
                "controls": [],
            }
            self.forms.append(self._open)
        elif tag in {"input", "button"} and self._open is not None and attrs.get("name"):
            self._open["controls"].append((attrs["name"], attrs.get("value")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def _language_switchers(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return [form for form in parser.forms if form["action"] == reverse("set_language")]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["home", "account_login", "account_signup"])
def test_language_switcher_is_on_the_page(client, url_name):
    url = reverse(url_name)
    html = client.get(url).content.decode()

    switchers = _language_switchers(html)
    assert len(switchers) == 1
    form = switchers[0]
    assert form["method"] == "post"
    names = [name for name, _value in form["controls"]]
    assert "csrfmiddlewaretoken" in names
    languages = {value for name, value in form["controls"] if name == "language"}
    assert languages == {code for code, _name in settings.LANGUAGES}
    assert ("next", url) in form["controls"]
    assert "简体中文" in html


@pytest.mark.django_db
def test_switcher_names_each_language_in_itself(client):
    html = client.get("/").content.decode()

    assert "简体中文" in html
    assert "English" in html


@pytest.mark.django_db
def test_switcher_marks_the_current_language(client):
    html = client.get("/").content.decode()
    current = re.findall(r'<button[^>]*aria-current="true"[^>]*>', html)

    assert len(current) == 1
    assert 'value="zh-hans"' in current[0]


# --- (e) no visible text in templates outside {% translate %} ------------------------------------

# Brand names are written as they are in every language.
VISIBLE_TEXT_ALLOWED = {"开干", "Kaigan"}
TEXT_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")


def _untranslated_text(source: str) -> list[tuple[int, str]]:
    def blank(match):
        return re.sub(r"[^\n]", " ", match.group())

    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", blank, source, flags=re.S)
    text = re.sub(
        r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", blank, text, flags=re.S
    )
    text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", blank, text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", blank, text, flags=re.S | re.I)
    found = []
    for attribute in TEXT_ATTRIBUTES:
        for match in re.finditer(rf'\b{attribute}="([^"]*)"', text):
            if re.search(r"[A-Za-z\u4e00-\u9fff]", match.group(1)):
                found.append((text[: match.start()].count("\n") + 1, match.group()))
    text = re.sub(r"<!--.*?-->|<[^>]*>", blank, text, flags=re.S)
    for match in re.finditer(r"[^\s<>]*[A-Za-z\u4e00-\u9fff][^\s<>]*", text):
        word = match.group()
        # A lone Latin letter ("v" before a version, "x" between sizes) is a symbol, not a word.
        lone_letter = len(re.findall(r"[A-Za-z]", word)) == 1 and not re.search(
            r"[\u4e00-\u9fff]", word
        )
        if word not in VISIBLE_TEXT_ALLOWED and not lone_letter:
            found.append((text[: match.start()].count("\n") + 1, word))
    return found


def test_the_scanner_finds_untranslated_text():
    source = (
        '{% load i18n %}<p title="Hint">{% translate "Fine" %} Oops</p>'
        "{# note #}{% blocktranslate %}Also fine {{ x }}{% endblocktranslate %}"
        '<span class="brand">Kaigan</span>'
    )
    assert [text for _line, text in _untranslated_text(source)] == ['title="Hint"', "Oops"]
    assert _untranslated_text("<p>{{ a }} · v{{ b }} × 2</p>") == []
    assert _untranslated_text("<p>{{ a }} 元</p>") == [(1, "元")]


def test_templates_have_no_visible_text_outside_translate():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for line, text in _untranslated_text(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {text}")
    assert not offenders, "wrap these in {% translate %}: " + "; ".join(offenders)
