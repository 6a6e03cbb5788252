"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, never a browser of
Playwright's own) against the app under uvicorn on 127.0.0.1, over a 400-day demo shop with one
user per role.

Every page comes from `open_page` (or `page`), which watches it with the session's `Guard`: a
console error, an uncaught page error, a failed request or an HTTP status >= 400 from the app
itself fails the test that caused it (see pytest_runtest_call), so no test can forget to look.
Screenshots go to tests/artifacts/browser/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from storeops.core.settings import Settings, load_settings
from storeops.web.app import create_app
from tests.web.conftest import PASSWORD, add_users, email_of, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
# A fixed last day keeps the shop the same whatever day the tests run (Black Friday inside).
DEMO_END = "2025-12-31"
DESKTOP, PHONE = 1280, 390
_ENV_OVERRIDES = ("STOREOPS_HOME", "STOREOPS_DATABASE_URL", "STOREOPS_WAREHOUSE_URL")


@dataclass
class Demo:
    settings: Settings
    tokens: dict[str, str]  # role -> API token


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """`storeops demo --days 400` into a fresh workspace, with one user per role."""
    folder = tmp_path_factory.mktemp("browser") / "ws"
    env = {k: v for k, v in os.environ.items() if k not in _ENV_OVERRIDES} | {"CI": "1"}
    command = [sys.executable, "-m", "storeops", "demo", "--days", "400", "--end", DEMO_END]
    done = subprocess.run(
        [*command, "--json", "-w", str(folder)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    with pytest.MonkeyPatch.context() as patch:  # this workspace's own stores, whatever is set
        for name in _ENV_OVERRIDES:
            patch.delenv(name, raising=False)
        settings = load_settings(folder)
    return Demo(settings, add_users(settings))


@pytest.fixture(scope="session")
def base_url(demo: Demo) -> Iterator[str]:
    with serving(create_app(demo.settings)) as url:
        yield url


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM}: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Guard:
    """Collects what went wrong in the pages it watches; `check()` fails on any of it."""

    origin: str
    problems: list[str] = field(default_factory=list)
    allowed: set[tuple[int, str]] = field(default_factory=set)  # (status, path) a test expects

    def watch(self, page) -> None:  # type: ignore[no-untyped-def]
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    @contextmanager
    def allow(self, status: int, path: str) -> Iterator[None]:
        """Within this block, `status` answering `path` is what the test expects."""
        self.allowed.add((status, path))
        try:
            yield
        finally:
            self.allowed.discard((status, path))

    def check(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "the browser saw:\n" + "\n".join(problems)

    def _own(self, url: str) -> bool:
        return url.startswith(self.origin + "/") or url == self.origin

    def _expected(self, status: int, url: str) -> bool:
        return (status, urlsplit(url).path) in self.allowed

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if message.type != "error":
            return
        url = message.location.get("url", "")
        # Chromium also logs each error status as a console error: judged by _response.
        if message.text.startswith("Failed to load resource: the server responded with a status"):
            if self._own(url):
                return
        self.problems.append(f"console error: {message.text} ({url})")

    def _failed(self, request) -> None:  # type: ignore[no-untyped-def]
        # ERR_ABORTED is the browser cancelling a request because the page navigated away (a
        # favicon still loading when a form posts): not an answer from the app.
        if self._own(request.url) and request.failure != "net::ERR_ABORTED":
            self.problems.append(
                f"request failed: {request.method} {request.url}: {request.failure}"
            )

    def _response(self, response) -> None:  # type: ignore[no-untyped-def]
        if self._own(response.url) and response.status >= 400:
            if not self._expected(response.status, response.url):
                request = response.request
                self.problems.append(f"HTTP {response.status}: {request.method} {response.url}")


@pytest.fixture
def guard(base_url: str) -> Guard:
    return Guard(base_url)


@pytest.fixture
def open_page(browser, base_url: str, guard: Guard) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """A fresh, guarded page in its own browser context (own cookies), `width` px wide."""
    contexts = []

    def make(width: int = DESKTOP):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            base_url=base_url, viewport={"width": width, "height": 900}, accept_downloads=True
        )
        contexts.append(context)
        context.set_default_timeout(10_000)  # a local app: anything slower is a failure
        page = context.new_page()
        guard.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):  # type: ignore[no-untyped-def]
    return open_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    """Fails a browser test on anything its Guard saw, whatever the test itself checked."""
    guard = getattr(item, "funcargs", {}).get("guard")
    try:
        outcome = yield
    except BaseException as failure:
        if guard is not None and guard.problems:
            failure.add_note("the browser also saw:\n" + "\n".join(guard.problems))
        raise
    if guard is not None:
        guard.check()
    return outcome


def sign_in(page, role: str) -> None:  # type: ignore[no-untyped-def]
    """Signs in through the login form, as a person would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email_of(role))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


def nav_paths(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The paths the left navigation lists, in order."""
    return page.locator("nav.sidenav a").evaluate_all("links => links.map(a => a.pathname)")


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """The whole page as tests/artifacts/browser/<name>-<width>.png."""
    width = page.viewport_size["width"]
    path = ARTIFACTS / f"{name}-{width}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
