"""Checks the caregiver's phone page and the meal point counter on a phone-sized screen in
elder mode, in headless Chromium, with the phone's location set by the browser.

Usage: python3 Benchmarks/caregiver_phone.py http://127.0.0.1:8080
(against `yiyang serve --demo`; needs Debian's chromium and chromium-driver, and selenium).
It signs in as demo_caregiver, measures type and every target on /services/visits, taps
"check in" with the browser placed 1 km from nothing in particular (the location is asked for
only at the tap), and prints what the visit recorded; then does the same for the meal point.
"""
import json
import sys
import urllib.request
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
opts = webdriver.ChromeOptions()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=390,844"]:
    opts.add_argument(a)
opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3}})
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)

MEASURE = """return [getComputedStyle(document.body).fontSize, getComputedStyle(document.querySelector('h1')).fontSize,
    document.documentElement.scrollWidth, window.innerWidth,
    Array.from(document.querySelectorAll('main a, main button, main input:not([type=hidden]), main select, main summary'))
      .filter(e => e.offsetParent !== null)
      .map(e => { const r = e.getBoundingClientRect(); return [e.tagName, (e.innerText || e.name || '').slice(0, 16), Math.round(r.width), Math.round(r.height)] })]"""


def measure(name):
    body, h1, scroll, width, targets = d.execute_script(MEASURE)
    small = [t for t in targets if t[2] < 60 or t[3] < 60]
    print(f"{name}: viewport {width}px, page {scroll}px (no horizontal scroll: {scroll <= width}); body {body}, h1 {h1}; "
          f"{len(targets)} targets, under 60x60: {len(small)} {small[:5]}")
    return small


def sign_in(user):
    d.delete_all_cookies()
    d.get(base + "/login")
    d.find_element(By.NAME, "username").send_keys(user)
    d.find_element(By.NAME, "password").send_keys("Demo@Yiyang2026")
    d.find_element(By.NAME, "password").submit()


try:
    sign_in("demo_caregiver")
    d.get(base + "/preferences?elder=1&next=/services/visits")
    problems = measure("caregiver /services/visits")
    forms = d.find_elements(By.CSS_SELECTOR, "form[data-locate]")
    assert forms, "no visit to check in today"
    action = forms[0].get_attribute("action")
    order_id = action.split("/")[-2]
    # The phone's position, granted to the page; it is read only when the button is tapped.
    d.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": ["geolocation"]})
    d.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": 38.0123, "longitude": 114.5234, "accuracy": 15})
    button = forms[0].find_element(By.CSS_SELECTOR, "button[type=submit]")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    d.implicitly_wait(5)
    d.find_element(By.CSS_SELECTOR, ".notice, [role=status], main h1")
    print("after check-in:", d.current_url.replace(base, ""))
    d.get(base + "/services/orders/" + order_id)
    text = d.find_element(By.TAG_NAME, "main").text
    print("visit page:", " | ".join(line for line in text.splitlines() if "米" in line or "签到" in line)[:300])
    problems += measure("caregiver visit page")

    sign_in("demo_meal_point")
    d.get(base + "/preferences?elder=1&next=/services")
    problems += measure("meal point counter")
    print("RESULT:", "PASS" if not problems else f"{len(problems)} small targets")
finally:
    d.quit()
