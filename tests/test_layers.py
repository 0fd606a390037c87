"""The import-layer check: engine <- conversations <- bot <- api, a pure engine, and channels
(bot, api) that use only the public API of engine and conversations: the names in each
package's ``__all__``, imported from the package itself."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("engine", "conversations", "bot", "api")
# What each of our packages may import from the others.
ALLOWED: dict[str, set[str]] = {
    "engine": set(),
    "conversations": {"engine"},
    "bot": {"engine", "conversations"},
    "api": {"engine", "conversations", "bot"},
}
# Libraries the engine must never touch: web, bot, ORM, template, network and clock-free I/O.
ENGINE_FORBIDDEN = {
    "aiogram",
    "aiohttp",
    "alembic",
    "asyncpg",
    "fastapi",
    "httpx",
    "jinja2",
    "psycopg",
    "psycopg2",
    "redis",
    "requests",
    "socket",
    "sqlalchemy",
    "sqlmodel",
    "sqlite3",
    "starlette",
    "uvicorn",
    "random",
    "time",
    "datetime",
}


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(path: Path) -> set[str]:
    tree = _parse(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", OURS)
def test_package_imports_point_one_way(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(package)
        for name in _imports(path)
        if name in OURS and name != package and name not in ALLOWED[package]
    }
    assert not wrong, sorted(wrong)


def test_engine_imports_no_web_bot_orm_template_or_clock_library() -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules("engine")
        for name in _imports(path)
        if name in ENGINE_FORBIDDEN
    }
    assert not wrong, sorted(wrong)


def test_layer_check_sees_every_package() -> None:
    for package in OURS:
        assert _modules(package), f"{package} has no modules"


# The channels, and the packages whose public API is all they may use.
ADAPTERS = ("bot", "api")
PUBLIC = ("engine", "conversations")


def _public_api(package: str) -> set[str]:
    """The names in ``package/__init__.py``'s ``__all__`` (assigned and added to), as written."""
    names: set[str] = set()
    for node in _parse(ROOT / package / "__init__.py").body:
        if isinstance(node, ast.Assign):
            targets = [t for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            targets = [node.target]
        else:
            continue
        if any(t.id == "__all__" for t in targets):
            names.update(
                e.value
                for e in ast.walk(node.value)
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    return names


def _past_the_public_api(tree: ast.Module, public: dict[str, set[str]]) -> list[str]:
    """What a module imports from ``public``'s packages other than their public names."""
    wrong: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in public and "." in alias.name:
                    wrong.append(f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            package = node.module.split(".")[0]
            if package not in public:
                continue
            if node.module != package:
                wrong.append(f"from {node.module} import ...")
                continue
            wrong.extend(
                f"from {package} import {alias.name} (not in its __all__)"
                for alias in node.names
                if alias.name not in public[package]
            )
    return wrong


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_channels_use_only_the_public_api_of_engine_and_conversations(adapter: str) -> None:
    public = {package: _public_api(package) for package in PUBLIC}
    wrong = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in _modules(adapter)
        for what in _past_the_public_api(_parse(path), public)
    ]
    assert not wrong, wrong


def test_the_public_api_check_sees_a_submodule_and_a_private_name() -> None:
    public = {"engine": {"Result"}, "conversations": {"Conversations"}}
    source = """
import engine
import conversations.storage
from engine import Result
from engine.money import usd
from conversations import Conversations, Storage
from conversations.service import Conversations as Door

def later():
    from engine.result import to_jsonable
"""
    assert _past_the_public_api(ast.parse(source), public) == [
        "import conversations.storage",
        "from engine.money import ...",
        "from conversations import Storage (not in its __all__)",
        "from conversations.service import ...",
        "from engine.result import ...",
    ]


@pytest.mark.parametrize("package", PUBLIC)
def test_every_public_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    names = _public_api(package)
    assert names == set(module.__all__)
    assert not [name for name in names if not hasattr(module, name)]


def test_no_public_name_is_also_a_submodule() -> None:
    """``conversations`` imports its names when first used: a name that is also a submodule's
    would be that module once anything imported the submodule."""
    submodules = {path.stem for path in (ROOT / "conversations").iterdir()}
    assert not _public_api("conversations") & submodules
