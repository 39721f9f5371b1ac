"""The compliance portal's page in a real browser (Playwright driving Debian's chromium-headless-shell)
against the running platform: each role logs in through Airflow's login page, opens the dashboard
(on its own and inside the Airflow UI), sees a loaded file's counts; the admin uploads a file
through the page and sees it processed.

On the package's shared stack (conftest.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from include.settings import Settings
from include.stack.manager import Stack
from tests.integration.portal.landing import PROCESSING_TIMEOUT_SECONDS, file_counts

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Playwright cannot download its own browser here; Debian's package provides one.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium-headless-shell", "/usr/bin/chromium-headless-shell")
PROCESSING_TIMEOUT_MS = PROCESSING_TIMEOUT_SECONDS * 1000


def chromium_executable() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium-headless-shell")
    if not found:
        pytest.fail("chromium-headless-shell is not installed (apt-get install chromium-headless-shell)")
    return found


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_executable(), args=["--no-sandbox"])
        yield launched
        launched.close()


def login(browser: Browser, settings: Settings, stack: Stack, user: str) -> Page:
    """A fresh browser session: the dashboard URL sends it to Airflow's login page and back."""
    page = browser.new_context().new_page()
    page.goto(f"{settings.airflow_url}/compliance/")
    expect(page.locator("input[name=username]")).to_be_visible()
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(stack.ctx.airflow_password(user))
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{settings.airflow_url}/compliance/")
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    return page


@pytest.mark.parametrize("user", ["viewer", "analyst", "admin"])
def test_each_role_sees_the_loaded_file(portal_stack, samples, browser: Browser, user: str) -> None:
    settings, stack = portal_stack
    loaded, violations = file_counts(settings, samples["patients.csv"])
    page = login(browser, settings, stack, user)
    expect(page.locator("#who")).to_have_text(f"{user} ({user})")
    job = page.locator('#jobs tbody tr[data-file-name="patients.csv"]')
    expect(job.locator(".records-loaded")).to_have_text(f"{loaded:,}")
    expect(job.locator(".violations")).to_have_text(f"{violations:,}")
    expect(job.locator(".status")).to_have_text("succeeded")
    row = page.locator('#files tbody tr[data-file-name="patients.csv"]')
    expect(row.locator(".reason")).to_contain_text("SDP_STREAM_MAX_BYTES")
    expect(page.locator("#chart-regulation svg rect").first).to_be_visible()
    expect(page.locator('#compliance tr[data-regulation="HIPAA"]')).to_be_visible()
    expect(page.locator('#processors [data-pipeline="stream"]')).to_contain_text("available")
    # What each role may use: records for analysts and admins, uploads for admins.
    if user == "admin":
        expect(page.locator("#upload-section")).to_be_visible()
    else:
        expect(page.locator("#upload-section")).to_be_hidden()
    records = row.locator("button.show-records")
    if user == "viewer":
        expect(records).to_have_count(0)
    else:
        records.click()
        expect(page.locator("#records")).to_contain_text("0: {")
    page.context.close()


def test_dashboard_inside_the_airflow_ui(portal_stack, samples, browser: Browser, tmp_path: Path) -> None:
    settings, stack = portal_stack
    page = login(browser, settings, stack, "viewer")
    page.goto(f"{settings.airflow_url}/plugin/compliance")
    frame = page.frame_locator("iframe")
    loaded, _ = file_counts(settings, samples["patients.csv"])
    expect(frame.locator('#jobs tbody tr[data-file-name="patients.csv"] .records-loaded')).to_have_text(
        f"{loaded:,}"
    )
    screenshot = tmp_path / "compliance-dashboard.png"
    page.screenshot(path=screenshot, full_page=True)
    print(f"\ndashboard screenshot: {screenshot}")
    page.context.close()


def test_admin_uploads_through_the_page(portal_stack, samples, browser: Browser) -> None:
    settings, stack = portal_stack
    page = login(browser, settings, stack, "admin")
    page.locator("#upload-file").set_input_files(samples["upload_clinic.csv"])
    page.locator("#upload-pipeline").select_option("auto")
    page.locator("#upload-button").click()
    expect(page.locator("#upload-result")).to_have_attribute("data-state", "uploaded")
    # The page refreshes itself until the pipeline has processed the file.
    job = page.locator('#jobs tbody tr[data-file-name="upload_clinic.csv"]')
    expect(job.locator(".status")).to_have_text("succeeded", timeout=PROCESSING_TIMEOUT_MS)
    loaded, violations = file_counts(settings, samples["upload_clinic.csv"])
    assert loaded == 220
    expect(job.locator(".records-loaded")).to_have_text(f"{loaded:,}")
    expect(job.locator(".violations")).to_have_text(f"{violations:,}")
    page.context.close()
