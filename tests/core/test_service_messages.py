"""Every message a visits or tickets service gives a person exists in both languages (the language policy:
a source text may be Chinese or English; its translation into the other one is in ``locale/``).

The messages are collected from the services' source: every literal given to ``gettext``/``gettext_lazy``
(``_``) in ``visits/services`` and ``tickets/services``; a visits refusal must not be a bare string either.
Each is looked up in the catalog (``django.po``) and rendered through ``gettext`` in both languages, the way a
page renders a ``DomainError``."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("visits/services", "tickets/services")
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "ngettext"}
ERRORS = {"DomainError", "ValidationFailed", "NotPermitted", "NotFound", "TransitionNotAllowed", "Conflict"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _gettext_literals(tree: ast.AST):
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and _name(node.func) in GETTEXT_NAMES and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.args[0].value, node.lineno


def service_messages() -> dict[str, str]:
    """msgid → where it is used: every text of the visits services (refusals and the field errors they
    collect); in the tickets services, the texts of refusals (``raise``; broadcasts are written in both
    languages by their own code)."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            scopes = [tree] if package.startswith("visits") else [n for n in ast.walk(tree) if isinstance(n, ast.Raise)]
            for scope in scopes:
                for msgid, lineno in _gettext_literals(scope):
                    found.setdefault(msgid, f"{package}/{path.name}:{lineno}")
    return found


def untranslatable_visit_refusals() -> list[str]:
    """``raise SomeError("text")`` / ``.of(field, "text")`` with a bare literal or f-string in visits services."""
    bare = []
    for path in sorted((ROOT / "visits/services").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            call = node.exc
            owner = call.func.value if isinstance(call.func, ast.Attribute) else call.func
            if _name(owner) not in ERRORS:
                continue
            message_args = call.args[1:] if _name(call.func) == "of" else call.args[:1]
            if any(isinstance(arg, ast.Constant | ast.JoinedStr) for arg in message_args):
                bare.append(f"visits/services/{path.name}:{node.lineno}")
    return bare


def read_catalog(language: str) -> dict[str, str]:
    """msgid → msgstr of ``locale/<language>/LC_MESSAGES/django.po`` (fuzzy entries count as missing)."""
    catalog: dict[str, str] = {}
    text = (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").read_text()
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.splitlines() if line.strip()]
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            continue
        parts: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(\".*\")$", line)
            if match:
                current = match.group(1)
                parts[current] = [match.group(2)]
            elif line.startswith('"') and current:
                parts[current].append(line)
        if "msgid" in parts and "msgctxt" not in parts:
            msgid = "".join(ast.literal_eval(s) for s in parts["msgid"])
            msgstr = "".join(ast.literal_eval(s) for s in parts.get("msgstr", parts.get("msgstr[0]", ['""'])))
            catalog[msgid] = msgstr
    return catalog


MESSAGES = service_messages()


def test_the_services_messages_are_found():
    assert len([m for m, where in MESSAGES.items() if where.startswith("visits")]) > 30


def test_visits_refusals_are_translatable():
    """A refusal of a visits service is a ``gettext`` text, never a bare string."""
    assert untranslatable_visit_refusals() == []


@pytest.mark.parametrize("language, source_is_chinese", [("en", True), ("zh_Hans", False)])
def test_every_service_message_has_its_translation_in_the_catalog(language, source_is_chinese):
    """A Chinese text needs its English in locale/en, an English text its Chinese in locale/zh_Hans."""
    catalog = read_catalog(language)
    missing = [f"{where}: {msgid}" for msgid, where in sorted(MESSAGES.items(), key=lambda item: item[1])
               if bool(CJK.search(msgid)) == source_is_chinese and not catalog.get(msgid)]
    assert missing == []


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_service_message_renders_in_both_languages(language):
    """What a page shows of a ``DomainError`` (its message through ``gettext``, with its parameters filled):
    English pages read no Chinese, Chinese pages read Chinese."""
    wrong = []
    with translation.override(language):
        for msgid, where in sorted(MESSAGES.items(), key=lambda item: item[1]):
            rendered = gettext(msgid)
            try:
                rendered % _Anything()
            except (KeyError, ValueError, TypeError) as exc:
                wrong.append(f"{where}: {rendered!r} does not take its parameters ({exc})")
                continue
            if language == "en" and CJK.search(rendered):
                wrong.append(f"{where}: {rendered!r}")
            if language == "zh-hans" and not CJK.search(rendered):
                wrong.append(f"{where}: {rendered!r}")
    assert wrong == []


class _Anything(dict):
    """Parameters for any ``%(name)s`` placeholder."""

    def __missing__(self, key):
        return 1  # fits %(name)s and %(name)d
