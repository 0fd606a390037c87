"""Browser tests: the real ``megaroth serve`` on loopback, driven by Debian's Chromium.

Playwright's own browser download is not used: the tests launch ``/usr/bin/chromium``
(``apt-get install chromium``). Without it (or without the ``playwright`` package) they are
skipped, except under ``CI=true``, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.served import clean_env, free_port

try:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ADVISOR_TOKEN = "browser-test-advisor-token"
STARTUP_SECONDS = 30.0
# The server's "today": 2026 is open, 2025 is over with its IRA deadline ahead, 2024 is closed.
TODAY = "2026-03-02"
WIDTHS = {"desktop": 1280, "phone": 390}


def pytest_configure(config: pytest.Config) -> None:
    # Also declared in pyproject.toml; repeated here so this folder works on its own.
    config.addinivalue_line("markers", "browser: drives Debian's Chromium")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep each phase's report on the test, so the page fixture can tell a failure.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _unavailable() -> str | None:
    if sync_playwright is None:
        return "the playwright package is not installed (.venv/bin/pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def chromium_ready() -> None:
    reason = _unavailable()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


# --- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    advisor_token: str

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


def _status(url: str) -> int | None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
    try:
        with opener.open(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(chromium_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``megaroth serve`` on a free loopback port, with its own SQLite file and var folder."""
    folder = tmp_path_factory.mktemp("browser-server")
    port = free_port()
    env = clean_env(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'web.db'}",
            "USER_KEY_SECRET": "test",
            "VAR_DIR": str(folder),
            "ADVISOR_TOKEN": ADVISOR_TOKEN,
            "MEGAROTH_TODAY": TODAY,
            # The tests click at machine speed, every browser context from 127.0.0.1: the
            # per-address and per-conversation limits would refuse them (by design) on a fast
            # run. The limits have their own tests (tests/api/test_limits.py).
            "RATE_LIMIT_ADDRESS_PER_MINUTE": "0",
            "RATE_LIMIT_CONVERSATION_PER_MINUTE": "0",
        }
    )
    command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    log = folder / "server.log"
    # cwd is the temporary folder, so a developer's .env in the project root is not read.
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=out)
    running = Server(f"http://127.0.0.1:{port}", process, log, ADVISOR_TOKEN)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while _status(f"{running.base_url}/healthz") != 200:
            if process.poll() is not None:
                pytest.fail(f"megaroth serve exited early:\n{running.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(
                    f"megaroth serve not ready in {STARTUP_SECONDS:.0f}s:\n{running.log_tail()}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield running
    finally:
        _stop(process)


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def driver(chromium_ready: None) -> Iterator[Playwright]:
    assert sync_playwright is not None
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(driver: Playwright) -> Iterator[Browser]:
    launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


@dataclass
class Requests:
    """Every URL the pages of a context asked for, in order."""

    urls: list[str]

    def outside(self, base_url: str) -> list[str]:
        return [url for url in self.urls if not url.startswith((base_url + "/", "data:"))]


@pytest.fixture
def new_context(browser: Browser, server: Server) -> Iterator[Any]:
    """A factory of fresh browser contexts (separate cookies: separate people), each recording
    its requests; every context is closed at the end of the test."""
    made: list[BrowserContext] = []
    outside = re.compile(rf"^(?!{re.escape(server.base_url)}/|data:)")

    def make(guard: bool = True, **options: Any) -> tuple[BrowserContext, Requests]:
        context = browser.new_context(base_url=server.base_url, **options)
        context.set_default_timeout(10_000)
        seen = Requests([])
        context.on("request", lambda request: seen.urls.append(request.url))
        if guard:
            # Whatever a page might ask of another host is refused, never sent (it is still
            # recorded above, for the test that no page asks). Routing turns Chromium's HTTP
            # cache off, so a test of the browser's own Back button passes guard=False.
            context.route(outside, lambda route: route.abort("blockedbyclient"))
        made.append(context)
        return context, seen

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh context; on failure a screenshot goes to test-artifacts/."""
    context, _ = new_context()
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and not opened.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        opened.screenshot(path=str(ARTIFACTS / f"failed-{name}.png"), full_page=True)


@pytest.fixture(params=sorted(WIDTHS), ids=sorted(WIDTHS))
def sized(new_context: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh context at desktop (1280 px) or phone (390 px) width; on failure a
    screenshot goes to test-artifacts/."""
    width = WIDTHS[request.param]
    options: dict[str, Any] = {"viewport": {"width": width, "height": 900}}
    if width < 500:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context, _ = new_context(**options)
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and not opened.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        opened.screenshot(path=str(ARTIFACTS / f"failed-{name}.png"), full_page=True)


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot kept in test-artifacts/, named after the page and its width."""
    ARTIFACTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = ARTIFACTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000, path
    return path


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on the page as it is (axe-core from the axe-playwright-python
    package, installed with the dev tools), one line each: rule, impact, the elements."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in found]
