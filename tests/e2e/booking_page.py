"""The booking page driven by Selenium in headless Chromium; see booking-page.sh.

Usage: booking_page.py BASE_URL LOG_DIR AXE_JS
"""

import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

BASE, LOG_DIR, AXE_PATH = sys.argv[1], sys.argv[2], sys.argv[3]
ORIGIN = "{0.scheme}://{0.netloc}".format(urlparse(BASE))
AXE = open(AXE_PATH, encoding="utf-8").read()
TENANT_ZONE = "Europe/Berlin"
SLUG = "acme-" + uuid.uuid4().hex[:6]
shots = 0
checked_steps = []
foreign = []


# ---------------------------------------------------------------- the API

def call(method, path, body=None, token=None):
    req = urllib.request.Request(BASE + path, method=method)
    req.add_header("Accept", "application/json")
    if body is not None:
        req.add_header("Content-Type", "application/json")
        req.data = json.dumps(body).encode()
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read().decode()
            return res.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as err:
        text = err.read().decode()
        return err.code, (json.loads(text) if text else None)


def ok(method, path, body=None, token=None):
    status, data = call(method, path, body, token)
    assert 200 <= status < 300, f"{method} {path} → {status} {data}"
    return data


def seed():
    day = [{"start": "09:00", "end": "17:00"}]
    signup = ok("POST", "/v1/signup", {
        "tenant": {"slug": SLUG, "name": "Acme Salon GmbH", "type": "small_business", "timezone": TENANT_ZONE,
                   "currency": "EUR"},
        "owner": {"email": f"owner@{SLUG}.example", "password": "correct horse battery", "name": "Olga Owner"}})
    token = signup["access_token"]
    plugins = ok("GET", "/v1/plugins", token=token)
    ok("PATCH", "/v1/tenant", {
        "enabled_plugins": [p["name"] for p in plugins if p["optional"]],
        "customer_registration": "open",
        "branding": {"display_name": "Acme Salon", "primary_color": "#0b5394", "secondary_color": "#ffffff",
                     "support_email": "help@acme.example", "embed_origins": ["https://www.acme.example"]}},
        token=token)
    ok("POST", "/v1/locations", {"name": "Mitte", "type": "physical", "timezone": TENANT_ZONE,
                               "address": {"street": "Torstr. 1", "city": "Berlin", "zip": "10119", "country": "DE"}}, token=token)
    provider = ok("POST", "/v1/bookables", {
        "type": "provider", "name": "Ana", "email": f"ana@{SLUG}.example",
        "calendar": {"timezone": TENANT_ZONE, "slot_duration_minutes": 60, "slot_interval_minutes": 60,
                     "max_advance_days": 365,
                     "weekly_schedule": {d: day for d in ["monday", "tuesday", "wednesday", "thursday", "friday",
                                                          "saturday", "sunday"]}}}, token=token)
    template = ok("POST", "/v1/service-templates", {
        "name": "Haircut", "type": "appointment", "description": "Cut and style",
        "duration": {"type": "fixed", "fixed_minutes": 60},
        "required_bookables": [{"bookable_type": "provider", "specific_bookable_id": provider["id"]}],
        "pricing": {"base_price": "100.00", "currency": "EUR", "timezone": TENANT_ZONE},
        "cancellation": {"allow_client_cancellation": True, "refund_tiers": [
            {"min_hours_before": 48, "refund_percent": "100"}, {"min_hours_before": 24, "refund_percent": "50"}]},
        "reservation": {"enabled": True, "hold_duration_minutes": 10, "max_hold_minutes": 20},
        "status": "active"}, token=token)
    return token, template["id"]


def api_slots(template, day, zone):
    """The API's slot instants whose date in `zone` is `day` (YYYY-MM-DD)."""
    d = dt.date.fromisoformat(day)
    start = dt.datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)
    end = start + dt.timedelta(days=1)
    now = dt.datetime.now(dt.timezone.utc)
    start = max(start, now)
    q = f"service_template_id={template}&from={start.strftime('%Y-%m-%dT%H:%M:%SZ')}&to={end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    data = ok("GET", f"/v1/public/{SLUG}/availability?{q}")
    return sorted(s["start"] for s in data["slots"]
                  if instant(s["start"]).astimezone(ZoneInfo(zone)).date().isoformat() == day)


def instant(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---------------------------------------------------------------- the browser

def browser(zone):
    opts = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=en-GB",
                "--window-size=1200,1000", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-features=Translate,OptimizationHints,MediaRouter"]:
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    opts.add_experimental_option("prefs", {"intl.accept_languages": "en-GB,en"})
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=opts, service=service)
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": zone})
    # 24-hour times to compare with: the page formats for the browser's locale.
    driver.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": "en-GB"})
    return driver


def wait(driver, what, timeout=15):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: what(d))


def visible(driver, css):
    def check(d):
        els = d.find_elements(By.CSS_SELECTOR, css)
        return els[0] if els and els[0].is_displayed() else None
    return wait(driver, check)


def ready(driver):
    wait(driver, lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"))


def press(driver, *keys):
    ActionChains(driver).send_keys(*keys).perform()


def active_matches(driver, css):
    return driver.execute_script("return !!document.activeElement && document.activeElement.matches(arguments[0])", css)


def tab_to(driver, css, limit=150):
    """Presses TAB until the focused element matches `css` (keyboard only, no clicks)."""
    visible(driver, css)
    for _ in range(limit):
        if active_matches(driver, css):
            return driver.switch_to.active_element
        press(driver, Keys.TAB)
    raise AssertionError(f"TAB never reached {css}")


def type_text(driver, text):
    press(driver, text)


def step(driver, name):
    """A screenshot and an axe-core check of the page as it is now."""
    global shots
    shots += 1
    driver.save_screenshot(f"{LOG_DIR}/{shots:02d}-{name}.png")
    driver.execute_script(AXE)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")
    bad = [v for v in result if v.get("impact") in ("serious", "critical")]
    assert not bad, f"axe at step {name}: " + json.dumps(
        [{"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n.get("target") for n in v["nodes"]][:5]}
         for v in bad], indent=1)
    checked_steps.append(name)


def collect_requests(driver):
    """Every request the page sent since the last call; those to another origin are kept."""
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") != "Network.requestWillBeSent":
            continue
        url = msg["params"]["request"]["url"]
        if url.startswith(("data:", "blob:")):
            continue
        if "{0.scheme}://{0.netloc}".format(urlparse(url)) != ORIGIN:
            foreign.append(url)


def shown_times(driver):
    buttons = driver.find_elements(By.CSS_SELECTOR, "#times button")
    return [(b.get_attribute("data-start"), b.find_element(By.CSS_SELECTOR, ".here").text,
             b.get_attribute("data-tenant-local")) for b in buttons]


def check_times(driver, template, zone, day):
    """The times shown for `day` are the API's instants, converted to `zone`."""
    shown = shown_times(driver)
    expected = api_slots(template, day, zone)
    assert shown, f"no times shown on {day}"
    assert sorted(s for s, _, _ in shown) == sorted(instant(e).strftime("%Y-%m-%dT%H:%M:%SZ") for e in expected) or \
        sorted(instant(s) for s, _, _ in shown) == sorted(instant(e) for e in expected), (shown, expected)
    for start, text, tenant_local in shown:
        local = instant(start).astimezone(ZoneInfo(zone)).strftime("%H:%M")
        there = instant(start).astimezone(ZoneInfo(TENANT_ZONE)).strftime("%Y-%m-%d %H:%M")
        assert text == local, f"{start} shown as {text!r} in {zone}, expected {local}"
        assert tenant_local == there, (start, tenant_local, there)
    return shown


def choose_day_by_keys(driver, day=None, steps=1):
    """Focuses the calendar's tabbable day, moves with the arrow keys (to `day`, or one to
    the right when there is one), and chooses it with SPACE."""
    tab_to(driver, "#days button[tabindex='0']")
    if day is None:
        days = driver.find_elements(By.CSS_SELECTOR, "#days button:not([disabled])")
        for _ in range(min(steps, len(days) - 1)):
            press(driver, Keys.ARROW_RIGHT)
    else:
        for _ in range(40):
            if driver.switch_to.active_element.get_attribute("data-date") == day:
                break
            press(driver, Keys.ARROW_RIGHT)
    chosen = driver.switch_to.active_element.get_attribute("data-date")
    assert day is None or chosen == day, f"arrows reached {chosen}, not {day}"
    press(driver, Keys.SPACE)
    visible(driver, "#times button")
    return chosen


# ---------------------------------------------------------------- the cases

def flow_by_keyboard(owner, template):
    """(a) a new customer in Asia/Tokyo books by keyboard only; (b) a slot taken by someone
    else between showing and choosing; (c) cancelling with the refund shown first."""
    zone = "Asia/Tokyo"
    driver = browser(zone)
    try:
        driver.get(f"{BASE}/book/{SLUG}")
        ready(driver)
        assert driver.title.endswith("Acme Salon"), driver.title
        assert driver.execute_script("return Intl.DateTimeFormat().resolvedOptions().timeZone") == zone
        step(driver, "services")
        tab_to(driver, f"#services button[data-service-id='{template}']")
        press(driver, Keys.ENTER)
        visible(driver, "#days button:not([disabled])")
        assert driver.find_element(By.ID, "zone").get_attribute("value") == zone
        assert TENANT_ZONE.replace("_", " ") in driver.find_element(By.ID, "tenant-zone").text
        step(driver, "dates")
        # Three days on: more than 48 hours ahead, so cancelling gives a refund.
        day = choose_day_by_keys(driver, steps=3)
        shown = check_times(driver, template, zone, day)
        step(driver, "times")
        first = shown[0][0]
        tab_to(driver, f"#times button[data-start='{first}']")
        press(driver, Keys.ENTER)
        visible(driver, "#reg-name")
        step(driver, "sign-in")
        email = f"lea-{uuid.uuid4().hex[:6]}@example.com"
        for css, text in [("#reg-name", "Léa Martin"), ("#reg-email", email), ("#reg-password", "correct horse battery")]:
            tab_to(driver, css)
            type_text(driver, text)
        tab_to(driver, "#register-form button[type='submit']")
        press(driver, Keys.ENTER)
        visible(driver, "#participants-form input[type='radio']")
        banner = visible(driver, "#hold-banner").text
        assert ":" in banner, banner
        step(driver, "participants")
        tab_to(driver, "#participants-form button[type='submit']")
        press(driver, Keys.ENTER)
        visible(driver, "#confirm")
        step(driver, "confirm")
        tab_to(driver, "#confirm")
        press(driver, Keys.ENTER)
        booked = visible(driver, "#done-summary dd[data-booking-id]")
        booking_id = booked.get_attribute("data-booking-id")
        booking = ok("GET", f"/v1/bookings/{booking_id}", token=owner)
        assert instant(booking["start"]) == instant(first), (booking["start"], first)
        assert visible(driver, "#ics").get_attribute("href").startswith("blob:")
        step(driver, "done")
        print(f"ok: (a) booked {first} by keyboard in {zone}; times matched the API")

        # (b) another customer takes the next free time while this page shows it.
        tab_to(driver, "#step-done a.button:last-child")
        press(driver, Keys.ENTER)
        ready(driver)
        tab_to(driver, f"#services button[data-service-id='{template}']")
        press(driver, Keys.ENTER)
        visible(driver, "#days button:not([disabled])")
        day = choose_day_by_keys(driver)
        shown = check_times(driver, template, zone, day)
        target = shown[0][0]
        other = ok("POST", f"/v1/public/{SLUG}/customers", {"email": f"bob-{uuid.uuid4().hex[:6]}@example.com",
                                                           "password": "correct horse battery", "name": "Bob"})
        ok("POST", "/v1/bookings", {"service_template_id": template, "start": target}, token=other["access_token"])
        tab_to(driver, f"#times button[data-start='{target}']")
        press(driver, Keys.ENTER)
        message = visible(driver, "#status")
        assert "just taken" in message.text, message.text
        wait(driver, lambda d: all(s != target for s, _, _ in shown_times(d)))
        check_times(driver, template, zone, day)
        assert not driver.find_elements(By.CSS_SELECTOR, "#step-auth:not([hidden])")
        step(driver, "slot-taken")
        print(f"ok: (b) {target} taken meanwhile: message shown and fresh times without it")

        # (c) cancel from "my bookings": the refund is shown before confirming.
        driver.get(f"{BASE}/book/{SLUG}/me")
        ready(driver)
        visible(driver, f"li[data-booking-id='{booking_id}']")
        step(driver, "my-bookings")
        tab_to(driver, f"li[data-booking-id='{booking_id}'] button.cancel")
        press(driver, Keys.ENTER)
        refund = visible(driver, f"li[data-booking-id='{booking_id}'] .refund")
        shown_amount = refund.get_attribute("data-refund-amount")
        assert "€" in refund.text and "get back" in refund.text, refund.text
        assert ok("GET", f"/v1/bookings/{booking_id}", token=owner)["status"] != "cancelled"
        step(driver, "cancel-quote")
        tab_to(driver, f"li[data-booking-id='{booking_id}'] .confirm-cancel")
        press(driver, Keys.ENTER)
        wait(driver, lambda d: "Cancelled" in d.find_element(By.ID, "status").text)
        after = ok("GET", f"/v1/bookings/{booking_id}", token=owner)
        assert after["status"] == "cancelled", after["status"]
        assert after["refund_amount"] == shown_amount, (after["refund_amount"], shown_amount)
        step(driver, "cancelled")
        print(f"ok: (c) refund {shown_amount} EUR shown before cancelling, and given")
        collect_requests(driver)
    finally:
        driver.quit()


def dst_week(template):
    """(d) 16 March 2027: New York is on summer time (since the 14th), Berlin not yet (the
    28th): 09:00 in Berlin is 04:00 in New York, not 03:00."""
    zone, day = "America/New_York", "2027-03-16"
    driver = browser(zone)
    try:
        driver.get(f"{BASE}/book/{SLUG}?service={template}&date={day}")
        ready(driver)
        visible(driver, "#days button:not([disabled])")
        choose_day_by_keys(driver, day)
        shown = check_times(driver, template, zone, day)
        assert shown[0][1] == "04:00" and shown[0][2] == f"{day} 09:00", shown[0]
        step(driver, "dst")
        print(f"ok: (d) {day}: {len(shown)} times, first 04:00 New York = 09:00 Berlin, as the API says")
        collect_requests(driver)
    finally:
        driver.quit()


def main():
    started = time.monotonic()
    owner, template = seed()
    flow_by_keyboard(owner, template)
    dst_week(template)
    assert not foreign, f"(f) requests to other origins: {foreign}"
    print(f"ok: (e) axe-core found no serious or critical violation on {len(checked_steps)} steps: {checked_steps}")
    print("ok: (f) every request went to " + ORIGIN)
    print(f"booking page e2e passed in {time.monotonic() - started:.1f} s; screenshots in {LOG_DIR}")


main()
