"""The import-layer check: engine <- conversations <- bot <- api, and a pure engine."""

from __future__ import annotations

import ast
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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
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
