"""The apps import one way (docs/architecture.md): crm ← customers ← interactions ← retention
← demo, and inside retention figures ← health ← playbooks, with its tasks, admin, API, urls and
commands on top. Every import statement of every module (also those inside functions) is read
with ``ast``; an arrow against that direction fails here, naming the file and line."""

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lower imports nothing higher. ``demo`` stands above all (it writes into every app).
APPS = {"crm": 0, "customers": 1, "interactions": 2, "retention": 3, "demo": 4}
# Inside retention, by package (``retention/models/<package>.py`` belongs to its package);
# everything else of retention (tasks, admin, api, urls, apps, commands, migrations, the
# ``retention.models`` package that re-exports all tables) is its top.
RETENTION_PACKAGES = {"figures": 0, "health": 1, "playbooks": 2}
RETENTION_TOP = 9

# (importing module, imported module): why it is allowed for now. Keep this empty; an entry
# names the branch that removes it, and fails once that branch is merged (see below).
ALLOWED: dict[tuple[str, str], str] = {}


def layer(module: str) -> tuple[int, int] | None:
    """Where ``module`` sits: (app, package inside retention), or None outside the apps."""
    parts = module.split(".")
    if parts[0] not in APPS:
        return None
    if parts[0] != "retention":
        return (APPS[parts[0]], 0)
    package = parts[1] if len(parts) > 1 else ""
    if package == "models" and len(parts) > 2:
        package = parts[2]
    return (APPS["retention"], RETENTION_PACKAGES.get(package, RETENTION_TOP))


def allowed(importer: str, imported: str) -> bool:
    """An arrow is fine when it points down or sideways within the same layer."""
    here, there = layer(importer), layer(imported)
    if here is None or there is None:
        return True
    if here[0] != there[0]:
        return here[0] > there[0]
    return here[1] >= there[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _resolve(package: str, name: str) -> str:
    """What ``from package import name`` reaches: a submodule, or the module that defines the
    object (so ``from retention.models import HealthScore`` is an arrow to
    ``retention.models.health``, not to the package that re-exports it)."""
    candidate = f"{package}.{name}"
    if layer(package) is None:
        return candidate
    try:
        if importlib.util.find_spec(candidate) is not None:
            return candidate
    except ModuleNotFoundError:
        pass
    try:
        value = getattr(importlib.import_module(package), name)
    except (ImportError, AttributeError):
        return package
    defined_in = getattr(value, "__module__", None)
    return defined_in if isinstance(defined_in, str) and layer(defined_in) else package


def imports_of(source: str, module: str, *, is_package: bool = False):
    """Each (line, imported module) of ``source``, the module named ``module``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            package = _absolute(node, module, is_package)
            for alias in node.names:
                if alias.name == "*":
                    yield node.lineno, package
                else:
                    yield node.lineno, _resolve(package, alias.name)


def modules():
    for app in APPS:
        folder = ROOT / app
        if folder.is_dir():
            yield from sorted(folder.rglob("*.py"))


def violations() -> list[str]:
    found = []
    for path in modules():
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        for line, imported in imports_of(source, module, is_package=path.name == "__init__.py"):
            if allowed(module, imported) or (module, imported) in ALLOWED:
                continue
            found.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {imported}")
    return found


def test_every_import_points_down():
    assert violations() == []


def test_each_allowed_exception_is_still_needed():
    """An exception stays in ``ALLOWED`` only while the import it excuses exists."""
    present = set()
    for path in modules():
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        found = imports_of(source, module, is_package=path.name == "__init__.py")
        present |= {(module, imported) for _line, imported in found}
    assert [pair for pair in ALLOWED if pair not in present] == []


@pytest.mark.parametrize(
    ("importer", "imported", "ok"),
    [
        ("retention.health.flags", "retention.figures.metrics", True),
        ("interactions.surveys.views", "crm.periods", True),
        ("interactions.surveys.views", "retention.figures.report", False),
        ("retention.figures.metrics", "retention.health.measures", False),
        ("retention.figures.snapshots", "retention.models.figures", True),
        ("retention.figures.views", "retention.models.health", False),
        ("retention.figures.views", "retention.models", False),
        ("retention.health.scoring", "retention.tasks", False),
        ("retention.tasks", "retention.health.scoring", True),
        ("retention.playbooks.runs", "retention.health.flags", True),
        ("retention.health.flags", "retention.playbooks.runs", False),
        ("customers.services", "interactions.models", False),
        ("interactions.services", "customers.models", True),
        ("crm.scoping", "customers.models", False),
        ("demo.story", "retention.health.scoring", True),
        ("retention.api", "demo.writer", False),
        ("customers.models", "django.db.models", True),
    ],
)
def test_the_direction(importer, imported, ok):
    assert allowed(importer, imported) is ok


def test_relative_and_reexported_imports_are_followed():
    source = "from ..models import HealthScore, MonthlySnapshot\nfrom . import cohorts\n"
    found = [name for _line, name in imports_of(source, "retention.figures.snapshots")]
    assert found == [
        "retention.models.health",
        "retention.models.figures",
        "retention.figures.cohorts",
    ]
    assert not allowed("retention.figures.snapshots", found[0])
