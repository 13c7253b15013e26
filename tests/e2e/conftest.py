"""Browser tests in real headless Chromium (Debian's `chromium` and `chromium-driver`).

The app runs in pytest-django's `live_server` thread against the test database; Selenium drives
/usr/bin/chromium through /usr/bin/chromedriver (never a downloaded browser). Every page visited
is saved at phone and desktop widths under artifacts/screenshots/ (docs/testing.md).

Without Chromium the tests skip with a reason on a developer machine, and fail in CI (CI=true).
"""

from __future__ import annotations

import base64
import json
import os
import re
import struct
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "contrasena-de-prueba-123"  # abierto/core/factories.py
WIDTHS = {"phone": (390, 844, True), "desktop": (1366, 900, False)}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=es",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip on a developer machine; fail in CI, where a missing tool is a broken pipeline."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests may not skip)", pytrace=False)
    pytest.skip(reason)


def _start_chromium(*, javascript: bool):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        unavailable(
            "chromium not installed: run bash bin/test as root or "
            "apt-get install chromium chromium-driver"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='abierto-chromium-')}")
    options.add_argument("--window-size=1366,900")
    prefs = {"intl.accept_languages": "es"}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_script_timeout(60)
    driver.set_page_load_timeout(60)
    driver.javascript_enabled = javascript
    return driver


@pytest.fixture(scope="session")
def chromium_js():
    driver = _start_chromium(javascript=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def chromium_nojs():
    driver = _start_chromium(javascript=False)
    yield driver
    driver.quit()


@dataclass
class Browser:
    """A Chromium window on the live server, with screenshots and a few page helpers."""

    driver: object
    base_url: str
    prefix: str
    shots: list[Path] = field(default_factory=list)

    @property
    def javascript(self) -> bool:
        return self.driver.javascript_enabled

    def url(self, path: str) -> str:
        return self.base_url + path

    def path(self) -> str:
        current = self.driver.current_url
        return current.removeprefix(self.base_url)

    def visit(self, path: str, shot: str | None = None) -> None:
        self.driver.get(self.url(path))
        self.check_page()
        self.screenshot(shot or path)

    def check_page(self) -> None:
        """The page is a real page of the site, not an error."""
        title = self.driver.title
        body = self.driver.find_element("tag name", "body").text
        for error in (
            # The site's own error pages (abierto/templates/40x.html, 50x.html), then Django's.
            "Página no encontrada",
            "Acceso denegado",
            "Error del servidor",
            "Servicio no disponible",
            "Not Found",
            "Server Error",
            "Forbidden",
            "Bad Request",
            "Page not found",
        ):
            assert error not in title and not body.startswith(error), (
                f"{self.driver.current_url}: {title!r} {body[:200]!r}"
            )
        assert title, f"{self.driver.current_url} has no title"

    @property
    def text(self) -> str:
        return self.driver.find_element("tag name", "body").text

    def h1(self) -> str:
        return self.driver.find_element("tag name", "h1").text

    def screenshot(self, name: str) -> None:
        """The whole page at phone and desktop widths (device emulation, full height)."""
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "home"
        index = len(self.shots) // 2 + 1
        for label, (width, height, mobile) in WIDTHS.items():
            self.driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
            )
            data = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
            )["data"]
            target = SCREENSHOTS / f"{self.prefix}-{index:02d}-{slug[:60]}-{label}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(base64.b64decode(data))
            self.shots.append(target)
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def fill(self, name: str, value: str) -> None:
        element = self.driver.find_element("name", name)
        element.clear()
        element.send_keys(value)

    def submit(self, label: str) -> None:
        """Press the form's submit button whose text is `label`."""
        button = self.driver.find_element(
            "xpath", f"//main//button[@type='submit' and normalize-space()='{label}']"
        )
        self.click_and_wait(button)

    def click_and_wait(self, element) -> None:
        """Click (a link or a submit button) and wait until the next page has replaced this one."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.driver.find_element("tag name", "html")

        def replaced(_driver) -> bool:
            try:
                page.is_enabled()
            except WebDriverException:  # stale, or «node does not belong to the document»
                return True
            return False

        element.click()
        WebDriverWait(self.driver, 30).until(replaced)
        WebDriverWait(self.driver, 30).until(
            lambda d: (
                d.execute_cdp_cmd("Runtime.evaluate", {"expression": "document.readyState"})[
                    "result"
                ]["value"]
                == "complete"
            )
        )

    def sign_in(self, user) -> None:
        """Through the real login form (django-axes counts failures: the password is right)."""
        self.visit("/cuentas/login/", "login")
        self.fill("username", user.username)
        self.fill("password", PASSWORD)
        self.submit("Entrar")
        assert "/cuentas/login/" not in self.driver.current_url, self.text[:500]
        assert user.public_name in self.driver.find_element("css selector", ".account").text

    def sign_out(self) -> None:
        self.click_and_wait(
            self.driver.find_element(
                "xpath", "//div[@class='account']//button[normalize-space()='Cerrar sesión']"
            )
        )
        assert "Iniciar sesión" in self.driver.find_element("css selector", ".account").text

    def focused(self):
        return self.driver.switch_to.active_element

    def axe_violations(self, *, impacts=("serious", "critical")) -> list[dict]:
        """Run axe-core (WCAG 2.x A/AA and best practices) on the current page."""
        if not AXE_JS.exists():
            unavailable("axe-core not installed: run npm ci (bash bin/test does it)")
        if not getattr(self.driver, "_axe_source", None):
            self.driver._axe_source = AXE_JS.read_text()
        # WebDriver-injected scripts are not subject to the page's CSP (no inline script).
        self.driver.execute_script(self.driver._axe_source)
        results = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations)).catch(e => done({error: String(e)}));"
        )
        assert not isinstance(results, dict), results
        return [v for v in results if v["impact"] in impacts]


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core: {len(violations)} serious/critical violation(s) on {url}"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    {json.dumps(node['target'])}  {node['html'][:160]}")
            if node.get("failureSummary"):
                summary = node["failureSummary"].replace("\n", " / ")
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def _browser(driver, live_server, request) -> Browser:
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    for old in SCREENSHOTS.glob(f"{name}-*.png"):
        old.unlink()
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return Browser(driver=driver, base_url=live_server.url, prefix=name)


@pytest.fixture
def browser(chromium_js, live_server, request) -> Browser:
    """Chromium with JavaScript, cookies cleared."""
    return _browser(chromium_js, live_server, request)


@pytest.fixture(params=["js", "nojs"])
def any_browser(request, live_server) -> Browser:
    """The same test with JavaScript enabled and with JavaScript disabled."""
    fixture = "chromium_js" if request.param == "js" else "chromium_nojs"
    return _browser(request.getfixturevalue(fixture), live_server, request)


@pytest.fixture
def demo(transactional_db):
    """The Jalisco demo (its 2016-2018 plan), loaded into the live server's database."""
    call_command("load_demo", verbosity=0)
    from abierto.plans.models import Commitment

    return Commitment.objects.select_related("plan__exercise").get(
        plan__exercise__slug="jalisco", plan__slug="2016-2018", number=1
    )


@pytest.fixture
def evidence_png(tmp_path) -> Path:
    """A small real PNG (24×16, a two-colour bar), as an implementer would photograph."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    width, height = 24, 16
    rows = b"".join(
        b"\x00" + b"".join(b"\x1b\x5e\x20" if x < 16 else b"\xdd\xdd\xdd" for x in range(width))
        for _ in range(height)
    )
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    path = tmp_path / "fotografia-taller.png"
    path.write_bytes(png)
    return path
