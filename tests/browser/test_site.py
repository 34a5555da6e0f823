"""The public site in a real browser (headless Chromium). Run through tests/browser/run.sh."""
import json
import os
import sqlite3
from urllib.parse import urlparse

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ["RR_BASE_URL"]
DB_FILE = os.environ["RR_DB_FILE"]
OUT = os.environ.get("RR_OUTPUT", "test-output/browser")
BUDGET_BYTES = 300 * 1024


def make_driver(javascript=True, width=1280, height=800):
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--hide-scrollbars"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    # An explicit driver path: Selenium Manager would try to download one, and there is no network.
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    # Headless Chromium will not make a window narrower than 500 px: a phone's viewport is emulated.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700})
    return driver


@pytest.fixture
def browser():
    driver = make_driver()
    yield driver
    driver.quit()


@pytest.fixture
def browser_without_js():
    driver = make_driver(javascript=False)
    yield driver
    driver.quit()


def lead_count(email):
    with sqlite3.connect(DB_FILE) as db:
        return db.execute("SELECT COUNT(*) FROM leads WHERE email = ?", (email,)).fetchone()[0]


def element(driver, selector):
    """Finds an element and scrolls it to the middle of the viewport, as a person would before clicking."""
    found = driver.find_element(By.CSS_SELECTOR, selector)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", found)
    return found


def fill(driver, name, email, interest="beans"):
    element(driver, "#name").clear()
    element(driver, "#name").send_keys(name)
    element(driver, "#email").clear()
    element(driver, "#email").send_keys(email)
    Select(element(driver, "#interest")).select_by_value(interest)


def test_without_javascript_errors_come_back_inline_and_a_fixed_form_lands_on_thanks(browser_without_js):
    d = browser_without_js
    d.get(BASE + "/")
    # "noa@example" passes the browser's type=email check but not the server's dotted-domain rule, so the
    # server's 422 answer is what the visitor sees.
    fill(d, "Noa Script", "noa@example")
    element(d, "[data-testid=submit]").click()
    WebDriverWait(d, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=form-errors]"))
    assert "name@example.com" in d.find_element(By.ID, "err-email").text
    assert d.find_element(By.ID, "name").get_attribute("value") == "Noa Script", "input kept"
    assert d.find_element(By.ID, "email").get_attribute("aria-invalid") == "true"
    element(d, "#email").clear()
    element(d, "#email").send_keys("noa@example.com")
    element(d, "[data-testid=submit]").click()
    WebDriverWait(d, 10).until(lambda d: urlparse(d.current_url).path == "/thanks")
    assert "Thank you" in d.find_element(By.TAG_NAME, "h1").text
    assert lead_count("noa@example.com") == 1


def test_with_javascript_errors_show_on_blur_and_the_form_submits_without_reload(browser):
    d = browser
    d.get(BASE + "/")
    element(d, "#email").send_keys("not-an-email")
    element(d, "#name").click()  # blur the email field
    WebDriverWait(d, 5).until(lambda d: d.find_element(By.ID, "err-email").text != "")
    d.execute_script("window.__sameDocument = true")
    fill(d, "Jay Script", "jay@example.com", "wholesale")
    element(d, "[data-testid=submit]").click()
    WebDriverWait(d, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=thanks]"))
    assert d.execute_script("return window.__sameDocument === true"), "no page reload"
    assert urlparse(d.current_url).path == "/"
    assert lead_count("jay@example.com") == 1


def test_a_double_click_stores_one_lead(browser):
    d = browser
    d.get(BASE + "/")
    fill(d, "Double Click", "double@example.com")
    button = d.find_element(By.CSS_SELECTOR, "[data-testid=submit]")
    # Count the requests the page starts and finishes, to wait for the last one rather than a fixed time.
    d.execute_script(
        "window.__started = 0; window.__settled = 0; const real = window.fetch;"
        "window.fetch = (...a) => { window.__started++;"
        " return real(...a).finally(() => { window.__settled++; }); };")
    d.execute_script("arguments[0].click(); arguments[0].click();", button)
    WebDriverWait(d, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=thanks]"))
    WebDriverWait(d, 10).until(
        lambda d: d.execute_script("return window.__settled === window.__started"),
        "a submission is still in flight")
    assert d.execute_script("return window.__started") >= 1, "the form was sent by the script"
    assert lead_count("double@example.com") == 1


@pytest.mark.parametrize("width,height", [(1366, 900), (390, 844)])
def test_screenshots_are_written_for_desktop_and_phone(width, height):
    d = make_driver(width=width, height=height)
    try:
        for path, name in [("/", "home"), ("/thanks", "thanks"), ("/privacy", "privacy")]:
            d.get(BASE + path)
            target = os.path.join(OUT, f"{name}-{width}x{height}.png")
            assert d.save_screenshot(target)
            assert os.path.getsize(target) > 10_000
    finally:
        d.quit()


def test_first_load_fits_the_budget_with_no_layout_shift_and_no_foreign_requests(browser):
    d = browser
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    d.get(BASE + "/")
    d.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    # Everything the page loads once scrolled (lazy images, fonts) has arrived: wait for that, not a time.
    WebDriverWait(d, 10).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete'"
            " && Array.from(document.images).every(i => i.complete)"
            " && document.fonts.status === 'loaded'"),
        "the page did not finish loading")
    entries = d.execute_script(
        "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".map(e => ({name: e.name, size: e.transferSize}))")
    total = sum(e["size"] for e in entries)
    origins = {urlparse(e["name"]).netloc for e in entries}
    shift = d.execute_script(
        "return new Promise(r => { let sum = 0;"
        " new PerformanceObserver(l => l.getEntries().forEach(e => { if (!e.hadRecentInput) sum += e.value; }))"
        ".observe({type: 'layout-shift', buffered: true}); setTimeout(() => r(sum), 500); })")
    with open(os.path.join(OUT, "budget.json"), "w") as f:
        json.dump({"transferred_bytes": total, "requests": entries, "layout_shift": shift}, f, indent=1)
    assert origins == {urlparse(BASE).netloc}, f"requests left the origin: {origins}"
    assert total <= BUDGET_BYTES, f"first load transferred {total} bytes"
    assert shift < 0.01, f"cumulative layout shift {shift}"


@pytest.mark.parametrize("path", ["/", "/thanks", "/privacy", "/admin/login"])
def test_pages_have_no_accessibility_violations(browser, path):
    browser.get(BASE + path)
    axe = Axe(browser)
    axe.inject()
    results = axe.run()
    name = path.strip("/").replace("/", "-") or "home"
    axe.write_results(results, os.path.join(OUT, f"axe-{name}.json"))
    violations = [(v["id"], v["impact"], len(v["nodes"])) for v in results["violations"]]
    assert violations == [], f"{path}: {violations}"


def test_the_form_is_keyboard_usable(browser):
    d = browser
    d.get(BASE + "/#contact")
    element(d, "#name").click()
    active = []
    for _ in range(8):
        active.append(d.switch_to.active_element.get_attribute("id") or d.switch_to.active_element.tag_name)
        d.switch_to.active_element.send_keys("\ue004")  # Tab
    for field in ["name", "email", "phone", "interest", "message", "consent"]:
        assert field in active, f"{field} not reachable by Tab: {active}"
    assert "website" not in active, "the honeypot is not in the tab order"
