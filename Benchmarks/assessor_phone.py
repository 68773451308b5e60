"""Checks the assessor's form on a phone-sized screen in elder mode, in headless Chromium.

Usage: python3 Benchmarks/assessor_phone.py http://127.0.0.1:8080
(against `yiyang serve --demo`; needs Debian's chromium and chromium-driver, and selenium).
It signs in as demo_assessor, opens an assessment under way, measures type sizes and the
size of every answer target, answers every item by tapping, submits, and prints what it saw.
"""
import sys
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
opts = webdriver.ChromeOptions()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=390,844"]:
    opts.add_argument(a)
opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3}})
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    d.get(base + "/login")
    d.find_element(By.NAME, "username").send_keys("demo_assessor")
    d.find_element(By.NAME, "password").send_keys("Demo@Yiyang2026")
    d.find_element(By.NAME, "password").submit()
    d.get(base + "/preferences?elder=1&next=/assessment")
    links = [a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, "main table a") if a.get_attribute("href").endswith("/form")]
    assert links, "no assessment under way for demo_assessor"
    d.get(links[0])
    js = "return [getComputedStyle(document.body).fontSize, getComputedStyle(document.querySelector('h1')).fontSize, document.documentElement.scrollWidth, window.innerWidth]"
    body, h1, scroll, width = d.execute_script(js)
    print(f"viewport {width}px, page width {scroll}px (no horizontal scroll: {scroll <= width}); body {body}, h1 {h1}")
    sizes = d.execute_script("""return Array.from(document.querySelectorAll('label.option, .actions button')).map(e => {
        const r = e.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)] })""")
    small = [s for s in sizes if s[0] < 60 or s[1] < 60]
    print(f"answer and button targets: {len(sizes)}, smallest {min(h for _, h in sizes)}px high, under 60x60: {len(small)}")
    option_font = d.execute_script("return getComputedStyle(document.querySelector('label.option .text')).fontSize")
    print(f"option text {option_font}")
    # Tap the first option of every item (its best score), then submit.
    for fs in d.find_elements(By.CSS_SELECTOR, "fieldset.item"):
        option = fs.find_element(By.CSS_SELECTOR, "label.option")
        # As a thumb does: bring it to the middle of the screen, above the sticky buttons.
        d.execute_script("arguments[0].scrollIntoView({block: 'center'})", option)
        option.click()
    checked = d.execute_script("return document.querySelectorAll('fieldset.item input:checked').length")
    print(f"items answered by tapping: {checked}")
    submit = d.find_element(By.CSS_SELECTOR, "button[value=submit]")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", submit)
    submit.click()
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(d, 10).until(lambda drv: "/form" not in drv.current_url)
    # The confirmation page: the level these answers score, then the deliberate second press.
    print("confirm page:", d.current_url.replace(base, ""), "|", d.find_element(By.CSS_SELECTOR, "p.level").text)
    confirm = d.find_element(By.CSS_SELECTOR, "form.confirm-actions button[type=submit]")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", confirm)
    confirm.click()
    WebDriverWait(d, 10).until(lambda drv: "/confirm" not in drv.current_url)
    print("after submit:", d.current_url.replace(base, ""), "|", d.find_element(By.CSS_SELECTOR, "p.level").text)
finally:
    d.quit()
