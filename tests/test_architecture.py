"""Imports point one way: ``staff → customers → tickets → {visits, complaints, quality}`` (docs/decisions.md, map).

Every ``import`` and ``from … import`` in the apps is read from the source — at module level and inside
functions, methods and ``if TYPE_CHECKING`` blocks alike — so an upward import cannot hide in a function.

- an app imports only itself and the apps to its left (``LAYERS``); apps on the same layer
  (visits, complaints, quality) do not import one another;
- ``supportdesk.core`` imports no app, and an app imports of ``supportdesk`` only ``supportdesk.core``;
- nothing imports the project's tooling (``tests``, ``bench``, ``scripts``).

A reaction right-to-left goes through a signal (``tickets.signals``) or a hook (``supportdesk/core/hooks.py``).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"staff": 0, "customers": 1, "tickets": 2, "visits": 3, "complaints": 3, "quality": 3}
TOOLING = {"tests", "bench", "scripts"}
CORE = "supportdesk.core"


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``[(line, absolute module name)]`` of every import in ``source`` (module ``module``), wherever it is."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return found


def violation(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported`` (None if it may)."""
    src_top, dst_top = importer.split(".")[0], imported.split(".")[0]
    if dst_top in TOOLING:
        return f"{importer} imports the tooling package {imported}"
    if importer == CORE or importer.startswith(CORE + "."):
        if dst_top in LAYERS or (dst_top == "supportdesk" and not imported.startswith(CORE)):
            return f"the core {importer} imports {imported}: the core names no app"
        return None
    if src_top not in LAYERS:
        return None
    if dst_top == "supportdesk":
        if imported == "supportdesk" or not (imported == CORE or imported.startswith(CORE + ".")):
            return f"{importer} imports {imported}: apps use only supportdesk.core"
        return None
    if dst_top not in LAYERS or dst_top == src_top:
        return None
    if LAYERS[dst_top] < LAYERS[src_top]:
        return None
    return f"{importer} imports {imported}: {src_top} may not import {dst_top} (staff → customers → tickets → visits)"


def _modules():
    roots = [ROOT / name for name in LAYERS if (ROOT / name).is_dir()] + [ROOT / "supportdesk" / "core"]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            yield path, ".".join(parts), is_package


def find_violations() -> list[str]:
    problems = []
    for path, module, is_package in _modules():
        for line, imported in imported_modules(path.read_text(encoding="utf-8"), module, is_package):
            why = violation(module, imported)
            if why:
                problems.append(f"{path.relative_to(ROOT)}:{line}: {why}")
    return problems


def test_imports_point_one_way():
    problems = find_violations()
    assert not problems, "upward or sideways imports:\n" + "\n".join(problems)


def test_the_apps_of_the_map_exist():
    for app in ("staff", "customers", "tickets", "visits"):
        assert (ROOT / app / "apps.py").exists(), app


@pytest.mark.parametrize(
    "importer, source, is_package",
    [
        ("tickets.services.transitions", "def f():\n    from visits.services import propose_fault_review\n", False),
        ("tickets.services.transitions", "import visits.models\n", False),
        ("customers.models", "from tickets.models import FaultTicket\n", False),
        ("staff.models", "from customers import models\n", False),
        ("visits.services", "from complaints.models import Complaint\n", True),
        ("quality.selectors", "def f():\n    import complaints.selectors\n", False),
        ("tickets.views", "from quality import selectors\n", True),
        ("supportdesk.core.services", "from tickets.models import FaultTicket\n", False),
        ("supportdesk.core.api.permissions", "from staff.models import ApiScope\n", False),
        ("tickets.health", "from supportdesk.urls import urlpatterns\n", False),
        ("tickets.api.views", "from tests.factories import TicketFactory\n", False),
        ("tickets.services.transitions", "def f():\n    from ...visits import services\n", False),
    ],
)
def test_the_check_refuses_an_upward_import(importer, source, is_package):
    """The check itself: an upward or sideways import, even inside a function, is found."""
    found = [violation(importer, imported) for _line, imported in imported_modules(source, importer, is_package)]
    assert any(found), (importer, source)


@pytest.mark.parametrize(
    "importer, source",
    [
        ("visits.signals", "from tickets.signals import ticket_transitioned\n"),
        ("complaints.services", "from tickets.models import FaultTicket\nfrom customers.models import Customer\n"),
        ("quality.models", "from staff.models import User\n"),
        ("tickets.services.ingest", "from customers.selectors import policy_for\nfrom .transitions import dispatch\n"),
        ("customers.selectors", "from supportdesk.core.errors import NotFound\n"),
        ("supportdesk.core.api.exceptions", "from .authentication import api_client\nimport django_fsm\n"),
    ],
)
def test_the_check_accepts_a_downward_import(importer, source):
    found = [violation(importer, imported) for _line, imported in imported_modules(source, importer, False)]
    assert not any(found), found


# --------------------------------------------------------------------------- one read path
def _view_modules():
    for app in LAYERS:
        root = ROOT / app
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith("views") or rel in ("api/views.py", "integrations/views.py"):
                yield path


def test_views_read_only_through_selectors():
    """Pages and API views do not query the ORM themselves (``Model.objects.none()`` declares a DRF view's
    model and reads nothing): the selectors are the one read path."""
    found = []
    for path in _view_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "objects" and node.attr != "none"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .objects.{node.attr}")
    assert not found, "views reading the ORM directly:\n" + "\n".join(found)
