"""The compiled catalogues ship in the repository: every install speaks French without gettext.

So they must say what the `.po` files say. When these tests fail, run `make messages` (or
`make compile-messages` after editing a `.po` by hand) and commit the `.mo` files.
"""

import gettext
import io
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _shipped(language: str) -> dict:
    mo = (LOCALE / language / "LC_MESSAGES" / "django.mo").read_bytes()
    return gettext.GNUTranslations(io.BytesIO(mo))._catalog


def _key(message) -> str:
    msgid = message.id[0] if message.pluralizable else message.id
    return f"{message.context}\x04{msgid}" if message.context else msgid


def _translated(language: str) -> tuple[dict, set]:
    """What a `.mo` compiled from the `.po` must hold, and the keys it may hold or not.

    msgfmt leaves untranslated entries out, Babel writes untranslated plurals with their
    msgids, and gettext then reads the same thing: only translated entries are compared.
    """
    translated, untranslated = {}, {""}  # "": the header says which tool compiled it, and when.
    for message in _po(language):
        strings = message.string if message.pluralizable else (message.string,)
        if not message.id or message.fuzzy or not all(strings):
            untranslated.add(_key(message))
        elif message.pluralizable:
            translated.update({(_key(message), n): s for n, s in enumerate(strings)})
        else:
            translated[_key(message)] = strings[0]
    return translated, untranslated


def _po(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as po:
        return read_po(po)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_mo_file_says_what_the_po_file_says(language):
    translated, untranslated = _translated(language)
    shipped = {
        key: string
        for key, string in _shipped(language).items()
        if (key[0] if isinstance(key, tuple) else key) not in untranslated
    }

    assert shipped == translated, (
        f"locale/{language}/LC_MESSAGES/django.mo is out of date: run `make compile-messages` "
        "and commit it."
    )


def test_every_french_message_is_translated_and_none_is_fuzzy():
    catalog = _po("fr")

    strings = {m.id: m.string if m.pluralizable else (m.string,) for m in catalog if m.id}
    missing = [msgid for msgid, translated in strings.items() if not all(translated)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]

    assert missing == [], f"untranslated in locale/fr: {missing}"
    assert fuzzy == [], f"fuzzy in locale/fr: {fuzzy}"
