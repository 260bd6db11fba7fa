"""Keep the interface's translations complete: extract, check, compile.

    python manage.py translations           # extract every marked string into
                                            # locale/<language>/LC_MESSAGES/django.po
                                            # (translations kept), then compile the .mo files
    python manage.py translations --check   # fail, naming each string, if any string of the
                                            # code or templates lacks a translation in any
                                            # language, or a .mo is not compiled from its .po

Extraction is Django's ``makemessages`` (GNU gettext's xgettext and msgmerge must be
installed); compiling uses polib, so the compiled catalogues are committed and the registry
runs without gettext. ``--check`` extracts into a temporary copy of ``locale/`` and leaves
the tree as it is. Translators edit the .po files, then run the command without ``--check``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import chdir
from pathlib import Path

import django
import polib
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings
from django.utils.translation import to_locale

#: How many problems ``--check`` lists (it counts them all).
SHOWN_PROBLEMS = 60
#: Directories whose strings are not the interface's.
IGNORED = ["bench", "deploy", "docs", "node_modules", "tests", "var", ".venv"]

SLAVIC = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)
#: The plural rule of each language, written into its catalogue's header.
PLURAL_FORMS = {
    "sq": "nplurals=2; plural=(n != 1);",
    "bs": SLAVIC,
    "hr": SLAVIC,
    "mk": "nplurals=2; plural=(n % 10 == 1 && n % 100 != 11) ? 0 : 1;",
    "cnr": SLAVIC,
    "sr": SLAVIC,
    "sr-latn": SLAVIC,
}


#: Languages Django has no catalogue of its own for (month names, validation messages): their
#: .mo is compiled with Django's and the apps' translations of a close language beneath ours.
#: Montenegrin writes these as Serbian Latin does (``maj``, ``Ovo polje je obavezno``).
BORROWED = {"cnr": "sr-latn"}
#: Catalogues written by transliterating another: Serbian is one language in two scripts, so
#: its translators keep the Cyrillic catalogue and the Latin one follows letter by letter.
TRANSLITERATED = {"sr-latn": "sr"}
CYRILLIC_TO_LATIN = str.maketrans(
    "абвгдђежзијклмнопрстћуфхцчшАБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШ",
    "abvgdđežzijklmnoprstćufhcčšABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠ",
) | str.maketrans({"љ": "lj", "њ": "nj", "џ": "dž", "Љ": "Lj", "Њ": "Nj", "Џ": "Dž"})


def translated_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def catalogue(locale_dir: Path, language: str, suffix: str = "po") -> Path:
    return locale_dir / to_locale(language) / "LC_MESSAGES" / f"django.{suffix}"


def extract(locale_dir: Path) -> None:
    """Every marked string of the code and templates into ``locale_dir``'s catalogues."""
    with chdir(settings.BASE_DIR), override_settings(LOCALE_PATHS=[locale_dir]):
        call_command(
            "makemessages",
            locale=[to_locale(language) for language in translated_languages()],
            ignore_patterns=IGNORED,
            no_obsolete=True,
            verbosity=0,
        )
    for language in translated_languages():
        _set_header(catalogue(locale_dir, language), language)
    for language, source in TRANSLITERATED.items():
        transliterate(catalogue(locale_dir, source), catalogue(locale_dir, language))


def latin(text: str) -> str:
    return text.translate(CYRILLIC_TO_LATIN)


def transliterate(source: Path, target: Path) -> None:
    """Write ``source``'s translations into ``target``, in the Latin script."""
    translations = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(source))}
    po = polib.pofile(str(target), wrapwidth=99)
    for entry in po:
        found = translations.get((entry.msgctxt, entry.msgid))
        usable = found is not None and not found.fuzzy
        entry.msgstr = latin(found.msgstr) if usable else ""
        entry.msgstr_plural = {
            n: latin(form) if usable else "" for n, form in (found or entry).msgstr_plural.items()
        }
        entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    po.save()


def _set_header(path: Path, language: str) -> None:
    po = polib.pofile(str(path), wrapwidth=99)
    po.metadata.update(
        {
            "Project-Id-Version": "cbm-registry",
            "Last-Translator": "",
            "Language-Team": "",
            "PO-Revision-Date": po.metadata.get("POT-Creation-Date", ""),
            "Language": to_locale(language),
            "Plural-Forms": PLURAL_FORMS[language],
        }
    )
    po.metadata_is_fuzzy = False
    po.header = "Interface strings of the confidence-building notification registry."
    po.save()


def compile_catalogues(locale_dir: Path) -> None:
    for language in translated_languages():
        compiled(locale_dir, language).save_as_mofile(str(catalogue(locale_dir, language, "mo")))


def compiled(locale_dir: Path, language: str) -> polib.POFile:
    """What the language's .mo holds: its catalogue's translations, above those of Django and
    the installed apps in the language it borrows from (``BORROWED``), if any."""
    po = polib.pofile(str(catalogue(locale_dir, language)))
    if language not in BORROWED:
        return po
    ours = {(entry.msgctxt, entry.msgid) for entry in po}
    for entry in borrowed_entries(BORROWED[language]):
        if (entry.msgctxt, entry.msgid) not in ours:
            ours.add((entry.msgctxt, entry.msgid))
            po.append(entry)
    return po


def borrowed_entries(language: str) -> Iterator[polib.POEntry]:
    """The translated entries of Django's own catalogue and the installed apps' in
    ``language``, in Django's order of precedence (an earlier app's wins)."""
    directories = [Path(app.path) / "locale" for app in apps.get_app_configs()]
    directories.append(Path(django.__file__).parent / "conf" / "locale")
    for directory in directories:
        path = catalogue(directory, language)
        if path.exists():
            yield from polib.pofile(str(path)).translated_entries()


def missing_translations(locale_dir: Path) -> Iterator[str]:
    """Each string of ``locale_dir``'s catalogues without a usable translation."""
    for language in translated_languages():
        for entry in polib.pofile(str(catalogue(locale_dir, language))):
            if entry.obsolete:
                continue
            if entry.fuzzy or not entry.translated():
                where = ", ".join(f"{file}:{line}" for file, line in entry.occurrences[:2])
                yield f"{language}: {entry.msgid!r} ({where or 'no source'})"


def stale_compilations(locale_dir: Path) -> Iterator[str]:
    """Each language whose .mo does not hold exactly its .po's translations."""
    for language in translated_languages():
        po_path, mo_path = catalogue(locale_dir, language), catalogue(locale_dir, language, "mo")
        if not mo_path.exists():
            yield f"{language}: {mo_path} is missing"
            continue
        wanted = _messages(compiled(locale_dir, language).translated_entries())
        if _messages(polib.mofile(str(mo_path))) != wanted:
            yield f"{language}: {mo_path} is not compiled from {po_path.name}"


def stale_transliterations(locale_dir: Path, extracted: Path) -> Iterator[str]:
    """Each transliterated catalogue that is not the transliteration of its source."""
    for language in TRANSLITERATED:
        committed = _messages(polib.pofile(str(catalogue(locale_dir, language))))
        if committed != _messages(polib.pofile(str(catalogue(extracted, language)))):
            yield f"{language}: {catalogue(locale_dir, language)} is not transliterated anew"


def _messages(entries) -> dict:
    return {
        (entry.msgctxt, entry.msgid): (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        for entry in entries
        if entry.msgid
    }


class Command(BaseCommand):
    help = "Extract and compile the interface's translations, or check they are complete."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="only check; change nothing in the tree"
        )

    def handle(self, *args, check: bool, **options) -> None:
        locale_dir = Path(settings.LOCALE_PATHS[0])
        if check:
            self._check(locale_dir)
            return
        extract(locale_dir)
        compile_catalogues(locale_dir)
        missing = list(missing_translations(locale_dir))
        self.stdout.write(
            f"Catalogues of {len(translated_languages())} languages extracted and compiled in "
            f"{locale_dir}; {len(missing)} strings still to translate."
        )

    def _check(self, locale_dir: Path) -> None:
        problems = list(stale_compilations(locale_dir))
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / "locale"
            shutil.copytree(locale_dir, copy)
            extract(copy)
            problems += list(missing_translations(copy))
            problems += list(stale_transliterations(locale_dir, copy))
        if problems:
            shown = problems[:SHOWN_PROBLEMS] + (["…"] if len(problems) > SHOWN_PROBLEMS else [])
            raise CommandError(
                f"{len(problems)} translation problems (translate in the .po files, then "
                "run `python manage.py translations`):\n  " + "\n  ".join(shown)
            )
        self.stdout.write(f"Every string is translated in {len(translated_languages())} languages.")
