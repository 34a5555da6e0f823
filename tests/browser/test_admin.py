"""The staff pages in a real browser at desktop and phone sizes: every page fits a 390 px screen even with
a 200-character unbroken value in a lead, the lead list keeps its status column, axe finds nothing, and
"select all" ticks every lead on the page. Screenshots of every page. Run through tests/browser/run.sh."""
import json
import os
import sqlite3
import subprocess
import urllib.parse
import urllib.request

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from test_site import BASE, DB_FILE, OUT, make_driver

STAFF = "browser-barista@ritualroast.example"
PASSWORD = "a long browser test passphrase"
UNBROKEN = "x" * 200


@pytest.fixture(scope="module")
def lead_id():
    env = {"RR_DATABASE__SQLITE_PATH": DB_FILE, "RR_STAFF_PASSWORD": PASSWORD, "LOG_LEVEL": "warn",
           "PATH": os.environ.get("PATH", "")}
    subprocess.run([os.environ["RR_BIN"], "staff", "add", "--email", STAFF, "--name", "Browser Barista"],
                   env=env, check=True, capture_output=True)
    form = urllib.parse.urlencode({"name": "N" * 120, "email": "long@example.com", "interest": "wholesale",
                                   "message": UNBROKEN}).encode()
    request = urllib.request.Request(BASE + "/leads", data=form, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request) as answer:
        lead = json.load(answer)["id"]
    # A note and an owner with a follow-up, so the timeline and the work form carry long values too.
    db = sqlite3.connect(DB_FILE)
    db.execute("INSERT INTO lead_notes (lead_id, author, body, created_at) VALUES (?, ?, ?, datetime('now'))",
               (lead, STAFF, "Note " + UNBROKEN))
    db.execute("UPDATE leads SET owner_id = (SELECT id FROM staff_users WHERE email = ?), "
               "follow_up_on = date('now', '-1 day') WHERE id = ?", (STAFF, lead))
    db.commit()
    db.close()
    return lead


def signed_in(width, height):
    d = make_driver(width=width, height=height)
    d.get(BASE + "/admin/login")
    d.find_element(By.ID, "email").send_keys(STAFF)
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "[data-testid=login-form] button[type=submit]").click()
    WebDriverWait(d, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=logout]"))
    return d


def pages(lead):
    return [("/admin", "dashboard"), ("/admin/leads", "leads"), (f"/admin/leads/{lead}", "lead"),
            ("/admin/leads/new", "add-lead"), (f"/admin/leads/{lead}/details", "lead-details"), ("/admin/news", "news"), ("/admin/account/password", "password"),
            ("/admin/staff", "staff"), (f"/admin/staff/{staff_id()}", "staff-member"), ("/admin/account", "account"),
            (f"/admin/leads/{lead}/delete", "delete-lead"), ("/admin/leads?q=long&owner=mine&follow_up=overdue", "leads-filtered"),
            ("/admin/no-such-page", "not-found")]


def staff_id():
    db = sqlite3.connect(DB_FILE)
    try:
        return db.execute("SELECT id FROM staff_users WHERE email = ?", (STAFF,)).fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("width,height", [(1366, 900), (390, 844)])
def test_every_admin_page_fits_the_screen_and_has_no_accessibility_violations(lead_id, width, height):
    d = signed_in(width, height)
    try:
        for path, name in pages(lead_id):
            d.get(BASE + path)
            overflow = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} overflows by {overflow}px at {width}px"
            target = os.path.join(OUT, f"admin-{name}-{width}x{height}.png")
            assert d.save_screenshot(target)
            axe = Axe(d)
            axe.inject()
            results = axe.run()
            violations = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                          for v in results["violations"]]
            assert violations == [], f"{path} at {width}px: {violations}"
    finally:
        d.quit()


def test_the_lead_list_on_a_phone_keeps_the_status_column(lead_id):
    d = signed_in(390, 844)
    try:
        d.get(BASE + "/admin/leads")
        badge = d.find_element(By.CSS_SELECTOR, "[data-testid=lead-row] .badge")
        assert badge.is_displayed()
        assert d.execute_script("return window.innerWidth") == 390
        assert badge.location["x"] + badge.size["width"] <= 390
    finally:
        d.quit()


def test_select_all_ticks_every_lead_on_the_page(lead_id):
    d = signed_in(1366, 900)
    try:
        d.get(BASE + "/admin/leads")
        d.find_element(By.CSS_SELECTOR, "[data-testid=select-all]").click()
        boxes = d.find_elements(By.CSS_SELECTOR, "input[name=ids]")
        assert boxes and all(box.is_selected() for box in boxes)
    finally:
        d.quit()


def test_j_opens_the_next_older_lead_and_typing_in_a_field_does_not(lead_id):
    form = urllib.parse.urlencode({"name": "Newest Lead", "email": "newest@example.com", "interest": "beans"}).encode()
    request = urllib.request.Request(BASE + "/leads", data=form, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request) as answer:
        newest = json.load(answer)["id"]
    d = signed_in(1366, 900)
    try:
        d.get(f"{BASE}/admin/leads/{newest}")
        d.find_element(By.ID, "body").send_keys("just typing j here")
        assert d.current_url.endswith(f"/admin/leads/{newest}"), "a j typed in the note stays in the note"
        d.find_element(By.TAG_NAME, "h1").click()
        d.switch_to.active_element.send_keys("j")
        WebDriverWait(d, 5).until(lambda d: not d.current_url.endswith(f"/admin/leads/{newest}"))
        assert "/admin/leads/" in d.current_url
        d.switch_to.active_element.send_keys("k")
        WebDriverWait(d, 5).until(lambda d: d.current_url.endswith(f"/admin/leads/{newest}"))
    finally:
        d.quit()
