"""The public site's finishing touches in a real browser: landing on the form after errors without
JavaScript, error borders, preselecting a subscription, link-preview tags, contrast of focus rings and
borders, the coffee illustrations and the news signup. Run through tests/browser/run.sh."""
import os
import sqlite3
import urllib.request
from urllib.parse import urlparse

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from test_site import BASE, DB_FILE, OUT, element, make_driver

EMBER = "rgba(179, 38, 30, 1)"

CONTRAST_JS = """
function lum(c) {
  const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function background(el) {
  for (; el; el = el.parentElement) {
    const c = getComputedStyle(el).backgroundColor;
    if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c;
  }
  return 'rgb(255, 255, 255)';
}
const [a, b] = [lum(arguments[0]), lum(background(arguments[1]))].sort((x, y) => y - x);
return (a + 0.05) / (b + 0.05);
"""


@pytest.fixture
def browser():
    driver = make_driver(width=1366, height=900)
    yield driver
    driver.quit()


@pytest.fixture
def browser_without_js():
    driver = make_driver(javascript=False, width=1366, height=900)
    yield driver
    driver.quit()


def contrast(driver, colour, element_on):
    return driver.execute_script(CONTRAST_JS, colour, element_on)


def test_without_javascript_a_form_with_errors_lands_on_the_form_with_its_summary_focused(browser_without_js):
    d = browser_without_js
    d.get(BASE + "/")
    # Each passes the browser's own checks but not the server's rules, so the 422 page is what comes back.
    element(d, "#name").send_keys("   ")
    element(d, "#email").send_keys("noa@example")
    element(d, "#phone").send_keys("call me")
    Select(element(d, "#interest")).select_by_value("beans")
    element(d, "[data-testid=submit]").click()
    WebDriverWait(d, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=form-errors]"))
    # The page scrolls smoothly to the fragment: wait for it to arrive, not a time.
    WebDriverWait(d, 10).until(lambda d: d.execute_script("return window.scrollY") > 1000,
                               "the page opened at the top, not at the form")
    assert d.switch_to.active_element.get_attribute("data-testid") == "form-errors"
    for field in ["name", "email", "phone"]:
        box = d.find_element(By.ID, field)
        assert box.value_of_css_property("border-top-color") == EMBER, f"{field} has no red border"
    d.save_screenshot(os.path.join(OUT, "form-errors-no-js-1366x900.png"))


@pytest.mark.parametrize("javascript", [True, False])
def test_start_a_subscription_chooses_it_in_the_form(javascript):
    d = make_driver(javascript=javascript, width=1366, height=900)
    try:
        d.get(BASE + "/")
        if javascript:
            d.execute_script("window.__sameDocument = true")
        d.find_element(By.CSS_SELECTOR, "[data-testid=cta]").click()
        WebDriverWait(d, 10).until(
            lambda d: Select(d.find_element(By.ID, "interest")).first_selected_option.get_attribute("value")
            == "subscription")
        WebDriverWait(d, 10).until(lambda d: d.execute_script("return window.scrollY") > 1000,
                                   "the form never came into view")
        if javascript:
            assert d.execute_script("return window.__sameDocument === true"), "no reload with JavaScript"
    finally:
        d.quit()


def test_link_previews_name_an_absolute_image_that_loads(browser):
    d = browser
    d.get(BASE + "/")
    meta = {m.get_attribute("property") or m.get_attribute("name"): m.get_attribute("content")
            for m in d.find_elements(By.CSS_SELECTOR, "meta[property], meta[name^=twitter]")}
    assert meta["og:url"] == BASE + "/"
    assert meta["og:image"].startswith(BASE + "/assets/")
    assert meta["twitter:card"] == "summary_large_image"
    with urllib.request.urlopen(meta["og:image"]) as image:
        assert image.status == 200 and image.headers["Content-Type"] == "image/jpeg"


def test_focus_rings_and_field_borders_stand_out_at_three_to_one(browser):
    d = browser
    d.get(BASE + "/")
    brand = d.find_element(By.CSS_SELECTOR, ".site-header .brand")
    d.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)  # the skip link
    d.switch_to.active_element.send_keys(Keys.TAB)  # the brand link in the dark header
    assert d.switch_to.active_element == brand
    ring = brand.value_of_css_property("outline-color")
    assert contrast(d, ring, brand) >= 3, f"header focus ring {ring}"
    consent = element(d, "#consent")
    d.execute_script("arguments[0].focus()", element(d, "#message"))
    d.switch_to.active_element.send_keys(Keys.TAB)
    assert d.switch_to.active_element == consent
    ring = consent.value_of_css_property("outline-color")
    assert consent.value_of_css_property("outline-style") != "none", "the checkbox shows a focus ring"
    assert contrast(d, ring, consent) >= 3, f"checkbox focus ring {ring}"
    for field in ["name", "email", "interest", "message"]:
        box = d.find_element(By.ID, field)
        border = box.value_of_css_property("border-top-color")
        assert contrast(d, border, d.find_element(By.CSS_SELECTOR, ".lead-form")) >= 3, f"{field} border {border}"


def test_every_coffee_has_its_own_illustration(browser):
    d = browser
    d.get(BASE + "/")
    pictures = d.find_elements(By.CSS_SELECTOR, "[data-testid=coffee] img")
    assert len(pictures) == 6
    for picture in pictures:
        d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", picture)
    WebDriverWait(d, 10).until(lambda d: all(
        d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", p) for p in pictures))
    assert len({p.get_attribute("src") for p in pictures}) == 6
    element(d, "#coffees").screenshot(os.path.join(OUT, "coffees-1366x900.png"))


def test_news_signup_without_javascript_lands_on_its_thank_you_page(browser_without_js):
    d = browser_without_js
    d.get(BASE + "/")
    element(d, "#news-email").send_keys("reader@example.com")
    element(d, "[data-testid=news-submit]").click()
    WebDriverWait(d, 10).until(lambda d: urlparse(d.current_url).path == "/news/thanks")
    with sqlite3.connect(DB_FILE) as db:
        assert db.execute("SELECT COUNT(*) FROM news_signups WHERE email = 'reader@example.com'").fetchone()[0] == 1


@pytest.mark.parametrize("width,height", [(1366, 900), (390, 844)])
def test_screenshots_of_the_new_pages_for_desktop_and_phone(width, height):
    d = make_driver(width=width, height=height)
    try:
        for path, name in [("/no-such-page", "not-found"), ("/news/thanks", "news-thanks"),
                           ("/#news", "news-signup"), ("/#visit", "visit")]:
            d.get(BASE + path)
            if "#" in path:  # wait for the smooth scroll to reach the section
                WebDriverWait(d, 10).until(lambda d: d.execute_script(
                    "const s = window.scrollY; return new Promise(r => setTimeout(() => r(s > 0 && s === window.scrollY), 200))"))
            target = os.path.join(OUT, f"{name}-{width}x{height}.png")
            assert d.save_screenshot(target)
            assert os.path.getsize(target) > 10_000
            overflow = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} overflows by {overflow}px at {width}px"
    finally:
        d.quit()


@pytest.mark.parametrize("path", ["/no-such-page", "/news/thanks"])
def test_the_new_pages_have_no_accessibility_violations(browser, path):
    browser.get(BASE + path)
    axe = Axe(browser)
    axe.inject()
    results = axe.run()
    name = path.strip("/").replace("/", "-")
    axe.write_results(results, os.path.join(OUT, f"axe-{name}.json"))
    violations = [(v["id"], v["impact"], len(v["nodes"])) for v in results["violations"]]
    assert violations == [], f"{path}: {violations}"


def test_public_pages_log_no_console_errors_such_as_csp_violations():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        problems = []
        for path in ["/", "/privacy", "/thanks", "/news/thanks"]:
            d.get(BASE + path)
            WebDriverWait(d, 10).until(lambda d: d.execute_script("return document.readyState === 'complete'"))
            problems += [(path, entry["message"]) for entry in d.get_log("browser") if entry["level"] == "SEVERE"]
        assert problems == [], problems
    finally:
        d.quit()
