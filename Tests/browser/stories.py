"""Stories a person finishes in the browser, through links, forms and buttons only: after the
sign-in page nothing is typed into the address bar. One per module from now on.

Each story raises on the first step that does not work, naming the account and the page; a story
whose demo account does not exist (yet) is skipped with that reason, never passed.
"""
import datetime
import random
import re
import time
from urllib.parse import urljoin, urlsplit

import requests
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser import PHONE, path_of, sign_in, statuses, wait_for
from pages import ELDER


class Skipped(Exception):
    pass


class StoryFailure(AssertionError):
    def __init__(self, message, driver, role):
        super().__init__(message)
        self.driver, self.role = driver, role


class Steps:
    """One account in one browser, walking from its home page."""

    def __init__(self, base, d, role, accounts, elder=False):
        if role not in accounts:
            raise Skipped(f"the demo has no account {role}")
        self.base, self.d, self.role = base, d, role
        sign_in(d, base, role)
        if elder:
            # The switch every page carries, tapped like a person would.
            self.click(self.d.find_element(By.CSS_SELECTOR, "a.switch[href*='elder=1']"))
        statuses(d)

    def fail(self, message):
        raise StoryFailure(f"{self.role} at {path_of(self.d.current_url)}: {message}", self.d, self.role)

    def check(self, condition, message):
        if not condition:
            self.fail(message)

    def click(self, element):
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        sends = element.tag_name in ("button", "input") and (element.get_attribute("type") or "submit") == "submit"
        element.click()
        if sends:
            # A form sent: wait for the next page, so what follows reads it and not the one it left.
            try:
                WebDriverWait(self.d, 15).until(expected_conditions.staleness_of(element))
            except TimeoutException:
                pass
        self.answered()

    def answered(self):
        for url, status, _ in statuses(self.d):
            if status >= 400 and urlsplit(url).netloc == urlsplit(self.base).netloc:
                self.fail(f"{path_of(url)} answered {status}: {self.main_text()[:200]}")

    def main_text(self):
        # A click that sends a form may still be loading the next page: read the page that is there.
        for _ in range(20):
            try:
                return self.d.find_element(By.TAG_NAME, "main").text
            except StaleElementReferenceException:
                time.sleep(0.1)
        return self.d.find_element(By.TAG_NAME, "main").text

    def link(self, text=None, href=None, within="body"):
        """A visible link by its text or the start of its address; opens the phone menu first."""
        for _ in range(2):
            for a in self.d.find_elements(By.CSS_SELECTOR, f"{within} a[href]"):
                h = a.get_attribute("href") or ""
                if (text is None or text in a.text) and (href is None or re.search(href, path_of(h))) and a.is_displayed():
                    return a
            menus = [s for s in self.d.find_elements(By.CSS_SELECTOR, "nav summary") if s.is_displayed()]
            if not menus:
                break
            menus[0].click()
        self.fail(f"no link {text or ''} {href or ''} on the page")

    def follow(self, text=None, href=None, within="body"):
        self.click(self.link(text, href, within))

    def nav(self, href):
        self.follow(href="^" + href + "$", within="nav")

    def button(self, text, within="main"):
        for b in self.d.find_elements(By.CSS_SELECTOR, f"{within} button, {within} input[type=submit]"):
            if text in (b.text or b.get_attribute("value") or "") and b.is_displayed():
                return b
        self.fail(f"no button {text}")

    def fill(self, name, value, form="main"):
        found = self.d.find_elements(By.CSS_SELECTOR, f"{form} [name='{name}']")
        self.check(found, f"no field {name} on the page")
        e = found[0]
        if e.tag_name == "select":
            sel = Select(e)
            match = [o for o in sel.options if value in o.text or o.get_attribute("value") == value]
            self.check(match, f"no choice {value} in {name}")
            sel.select_by_value(match[0].get_attribute("value"))
        elif e.get_attribute("type") in ("date", "time"):
            # Typing into a date field depends on the browser's locale; its value is the same everywhere.
            self.d.execute_script("arguments[0].value = arguments[1]", e, value)
        else:
            e.clear()
            e.send_keys(value)

    def confirm_if_asked(self):
        """An irreversible step may ask once more on a page of its own: answer yes."""
        for b in self.d.find_elements(By.CSS_SELECTOR, "main form.confirm-actions button[type=submit]"):
            if b.is_displayed():
                self.click(b)
                return True
        if not urlsplit(self.d.current_url).path.endswith("/confirm"):
            return False
        for b in self.d.find_elements(By.CSS_SELECTOR, "main form button[type=submit]"):
            if re.search(r"确认|确定", b.text) and b.is_displayed():
                self.click(b)
                return True
        return False

    def cookies(self):
        return {c["name"]: c["value"] for c in self.d.get_cookies()}


def id_number(region6: str, born: datetime.date) -> str:
    """A valid GB 11643 number (check character included) of a county of the demo."""
    body = f"{region6}{born:%Y%m%d}{random.randint(100, 999)}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


REGISTERED: dict = {}


def township_registers_a_person(base, desktop, phone, report, accounts):
    s = Steps(base, desktop, "demo_township", accounts)
    s.nav("/elders")
    s.follow(href="^/elders/new$")
    number = id_number("130102", datetime.date(1941, 3, 15))
    name = "浏览器测" + random.choice("甲乙丙丁戊己庚辛")
    s.fill("name", name)
    s.fill("idNumber", number)
    for key in ("householdRegion", "residenceRegion"):
        field = desktop.find_elements(By.CSS_SELECTOR, f"main [name='{key}']")
        if field:
            s.fill(key, "建北社区" if field[0].tag_name == "select" else "130102001001")
    s.fill("address", "建北街道 1 号")
    s.click(s.button("保存"))
    s.check(re.match(r"^/elders/[0-9a-fA-F-]{8,}", urlsplit(desktop.current_url).path),
            "saving did not open the person's page: " + s.main_text()[:300])
    s.check(name in s.main_text(), f"the new person's page does not show {name}")
    REGISTERED.update(name=name, idNumber=number)


def assessor_on_a_phone(base, desktop, phone, report, accounts):
    s = Steps(base, phone, "demo_assessor", accounts, elder=True)
    s.nav("/assessment")
    s.follow(href=r"/assessment/[^/]+/form$", within="main")
    m = phone.execute_script(ELDER)
    s.check(m["scrollWidth"] <= PHONE["width"] + 1, f"the form is {m['scrollWidth']} px wide on a phone")
    items = phone.find_elements(By.CSS_SELECTOR, "fieldset.item")
    s.check(items, "the form shows no item")
    for fs in items:
        option = fs.find_element(By.CSS_SELECTOR, "label.option")
        phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", option)
        option.click()
    answered = phone.execute_script("return document.querySelectorAll('fieldset.item input:checked').length")
    s.check(answered == len(items), f"{answered} of {len(items)} items answered by tapping")
    s.click(phone.find_element(By.CSS_SELECTOR, "button[value=submit]"))
    s.confirm_if_asked()
    wait_for(lambda: not re.search(r"/(form|confirm)$", urlsplit(phone.current_url).path), 10, "still on the form after submitting")
    s.check(phone.find_elements(By.CSS_SELECTOR, "p.level"), "the result page shows no level: " + s.main_text()[:200])


def payment_run_four_eyes(base, desktop, phone, report, accounts):
    s = Steps(base, desktop, "demo_bureau", accounts)
    s.nav("/benefits")
    month = desktop.find_element(By.CSS_SELECTOR, "form[action='/benefits/runs'] [name=month]").get_attribute("value")
    s.click(desktop.find_element(By.CSS_SELECTOR, "form[action='/benefits/runs'] button[type=submit]"))
    s.check(re.match(r"^/benefits/runs/[^/]+$", urlsplit(desktop.current_url).path), "starting the run did not open it")
    # The run goes on in the background; its page reloads itself until it is done.
    wait_for(lambda: not desktop.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]"), 120, "the run did not finish in two minutes")
    run_path = urlsplit(desktop.current_url).path
    a = Steps(base, desktop, "demo_bureau2", accounts)
    a.nav("/benefits")
    a.follow(text=month, href="^" + re.escape(run_path) + "$", within="main")
    a.click(a.button("审批"))
    a.confirm_if_asked()
    a.check(not desktop.find_elements(By.CSS_SELECTOR, "form[action$='/approve']"), "the run still waits for approval")
    bank = a.link(href=r"/bank-file$", within="main").get_attribute("href")
    res = requests.get(bank, cookies=a.cookies(), timeout=60)
    a.check(res.status_code == 200, f"the bank file answered {res.status_code}")
    a.check("attachment" in res.headers.get("Content-Disposition", "") or "csv" in res.headers.get("Content-Type", ""),
            f"the bank file is not a download: {res.headers.get('Content-Type')}")


def institution_admits_a_resident(base, desktop, phone, report, accounts):
    s = Steps(base, desktop, "demo_institution", accounts)
    s.follow(href="^/institutions$")
    s.follow(href=r"^/institutions/[^/]+$", within="main")
    s.check("床位" in s.main_text(), "the home's page shows no beds")
    number = REGISTERED.get("idNumber")
    s.check(number, "no person registered by the first story to admit")
    s.check(desktop.find_elements(By.CSS_SELECTOR, "main form[action$='/residents']"),
            "the home's page offers its own operator no form to admit a resident")
    s.fill("idNumber", number)
    china_today = (datetime.datetime.utcnow() + datetime.timedelta(hours=8)).date()
    s.fill("admittedOn", china_today.isoformat())
    s.click(s.button("入住"))
    s.check(REGISTERED["name"] in s.main_text(), f"{REGISTERED['name']} is not among the residents: " + s.main_text()[:300])


def family_orders_and_caregiver_visits(base, desktop, phone, report, accounts):
    for needed in ("demo_family", "demo_provider2", "demo_caregiver2"):
        if needed not in accounts:
            raise Skipped(f"the demo has no account {needed} (the demo's 长安区 provider staff are added by issue 12's demo work)")
    f = Steps(base, desktop, "demo_family", accounts)
    f.nav("/portal")
    f.follow(href=r"^/portal/elders/[^/]+$", within="main")
    f.follow(href=r"^/portal/elders/[^/]+/services$", within="main")
    china_now = datetime.datetime.utcnow() + datetime.timedelta(hours=8) + datetime.timedelta(minutes=10)
    form = "main form[method=get]"
    f.fill("day", china_now.date().isoformat(), form)
    f.fill("from", china_now.strftime("%H:%M"), form)
    if desktop.find_elements(By.CSS_SELECTOR, f"{form} [name=to]"):
        f.fill("to", (china_now + datetime.timedelta(hours=1)).strftime("%H:%M"), form)
    f.click(desktop.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]"))
    f.click(f.button("下单"))
    f.check("已下单" in f.main_text() or "待派单" in f.main_text() or "notice" in desktop.page_source, "no order placed")

    # The dispatcher's home page leads with the orders waiting for a caregiver, and links to the dispatch page.
    p = Steps(base, desktop, "demo_provider2", accounts)
    p.follow(href=r"^/services/dispatch$", within="main")
    # The order just placed: its row shows the slot's start; the caregiver is the provider's 长安·护理员.
    start = china_now.strftime("%H:%M")
    rows = [r for r in desktop.find_elements(By.CSS_SELECTOR, "main tbody tr")
            if start in r.text and r.find_elements(By.CSS_SELECTOR, "form[action$='/assign']")]
    p.check(rows, f"the order for {start} does not wait for a caregiver on the dispatch page")
    form = rows[0].find_element(By.CSS_SELECTOR, "form[action$='/assign']")
    order_action = form.get_attribute("action")
    choice = Select(form.find_element(By.NAME, "caregiverId"))
    # demo_caregiver2 is the provider's 长安·演示·护理员 (Demo/DemoServices.swift).
    mine = [o for o in choice.options if "长安·演示·护理员" in o.text]
    p.check(mine, "the dispatch form does not offer demo_caregiver2 (长安·演示·护理员): "
            + "; ".join(o.text for o in choice.options))
    choice.select_by_value(mine[0].get_attribute("value"))
    p.click(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    c = Steps(base, phone, "demo_caregiver2", accounts, elder=True)
    c.follow(href=r"^/services/visits$")
    phone.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": ["geolocation"]})
    phone.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": 38.0478, "longitude": 114.5143, "accuracy": 15})
    order_id = order_action.rstrip("/").split("/")[-2]
    for step in ("check-in", "check-out"):
        sel = f"form[action$='/services/orders/{order_id}/{step}'] button[type=submit]"
        buttons = phone.find_elements(By.CSS_SELECTOR, sel)
        c.check(buttons, f"the caregiver's page has no {step} for the order just assigned")
        c.click(buttons[0])
        # The tap asks for the position, then sends the form; the page that comes back has no such button.
        wait_for(lambda: not phone.find_elements(By.CSS_SELECTOR, sel), 20, f"{step} was not recorded")
        c.answered()


ALL = [township_registers_a_person, assessor_on_a_phone, payment_run_four_eyes, institution_admits_a_resident,
       family_orders_and_caregiver_visits]
