"""Every catalogue is complete, and the default UI language is Simplified Chinese."""

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def test_there_are_catalogues():
    assert CATALOGUES, "no zh_Hans catalogues found"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_catalogue_is_fully_translated(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"{po_path}: untranslated {untranslated[:10]}"
    assert not fuzzy, f"{po_path}: fuzzy {fuzzy[:10]}"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_placeholders_survive_translation(po_path):
    import re

    pat = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
    for e in polib.pofile(str(po_path)).translated_entries():
        if e.msgid_plural:
            continue
        assert set(pat.findall(e.msgid)) == set(pat.findall(e.msgstr)), f"{po_path}: {e.msgid!r}"


@pytest.mark.django_db
def test_default_language_is_chinese_and_english_is_switchable(world, client):
    client.force_login(world.users.zone)
    r = client.get("/")
    assert r.status_code == 200
    assert 'lang="zh-hans"' in r.content.decode()
    assert "首页" in r.content.decode() or "园区" in r.content.decode()
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302
    r = client.get("/")
    assert 'lang="en"' in r.content.decode()
    assert "Welcome to Zonebook" in r.content.decode()
