"""What every part of the browser suite shares: the three kinds of browser it drives, signing in
through the form, the demo accounts, and the report that names page, role and rule of each failure
and keeps a screenshot and the page's HTML beside it."""
import json
import os
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

PASSWORD = "Demo@Yiyang2026"
PHONE = {"width": 390, "height": 844}
DESKTOP = (1280, 900)


@dataclass
class Account:
    username: str
    role: str
    region: str
    display_name: str


def demo_accounts(serve_log: str | None, demo_source: str) -> list[Account]:
    """The accounts the server printed on start (its banner is what a person trying the demo
    reads); the demo's source when there is no log."""
    accounts: list[Account] = []
    if serve_log and os.path.exists(serve_log):
        for line in open(serve_log, encoding="utf-8", errors="replace"):
            m = re.match(r"^\s+(demo_\w+)\s+(\w+)\s+(\d{12})\s+(.+?)\s*$", line)
            if m:
                accounts.append(Account(m[1], m[2], m[3], m[4]))
    if not accounts:
        text = open(demo_source, encoding="utf-8").read()
        for m in re.finditer(r'username: "(\w+)", displayName: "([^"]+)", role: \.(\w+), region: "(\d+)"', text):
            accounts.append(Account(m[1], m[3], m[4], m[2]))
    seen: set[str] = set()
    return [a for a in accounts if not (a.username in seen or seen.add(a.username))]


def make_driver(kind: str) -> webdriver.Chrome:
    """`desktop`: 1280 px, scripts on, the network log read for every answer's status;
    `phone`: a 390×844 phone (the issue's measurements); `noscript`: desktop with JavaScript off."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("YIYANG_CHROMIUM", "/usr/bin/chromium")
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN",
              "--disable-extensions", "--no-first-run", "--disable-background-networking", "--mute-audio"]:
        opts.add_argument(a)
    prefs = {"intl.accept_languages": "zh-CN,zh"}
    if kind == "phone":
        opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {**PHONE, "pixelRatio": 2}})
    else:
        opts.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    if kind == "noscript":
        prefs["profile.managed_default_content_settings.javascript"] = 2
    opts.add_experimental_option("prefs", prefs)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = Service(os.environ.get("YIYANG_CHROMEDRIVER", "/usr/bin/chromedriver"))
    d = webdriver.Chrome(service=service, options=opts)
    d.set_page_load_timeout(60)
    d.set_script_timeout(60)
    return d


def statuses(d) -> list[tuple[str, int, str]]:
    """(url, status, resource type) of every answer since the last call, from Chrome's network log;
    redirects included, so a 302 to the sign-in page is seen as such."""
    out = []
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        p = msg.get("params", {})
        if msg.get("method") == "Network.responseReceived":
            out.append((p["response"]["url"], int(p["response"]["status"]), p.get("type", "")))
        elif msg.get("method") == "Network.requestWillBeSent" and "redirectResponse" in p:
            out.append((p["redirectResponse"]["url"], int(p["redirectResponse"]["status"]), p.get("type", "")))
    return out


def sign_in(d, base: str, username: str, elder: bool = False) -> None:
    """Through the login form, as a person would; elder mode by its switch's address."""
    d.delete_all_cookies()
    d.get(base + "/login")
    d.find_element(By.NAME, "username").send_keys(username)
    d.find_element(By.NAME, "password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait_for(lambda: urlsplit(d.current_url).path != "/login", 15, f"{username} could not sign in")
    if elder:
        d.get(base + "/preferences?elder=1&next=/")
    statuses(d)


def wait_for(condition, seconds: float, message: str):
    end = time.time() + seconds
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception:  # an element not there yet is the normal case while waiting
            if time.time() > end:
                raise
        if time.time() > end:
            raise AssertionError(message)
        time.sleep(0.1)


def path_of(url: str) -> str:
    s = urlsplit(url)
    return s.path + ("?" + s.query if s.query else "")


@dataclass
class Failure:
    role: str
    page: str
    rule: str
    detail: str
    mode: str


@dataclass
class Report:
    out: str
    failures: list[Failure] = field(default_factory=list)
    saved: set = field(default_factory=set)

    def fail(self, d, role: str, page: str, rule: str, detail: str, mode: str = "desktop") -> None:
        f = Failure(role, page, rule, detail, mode)
        self.failures.append(f)
        print(f"FAIL role={role} page={page} mode={mode} rule={rule}: {detail}", flush=True)
        key = (role, page, mode)
        if d is not None and key not in self.saved:
            self.saved.add(key)
            slug = re.sub(r"[^A-Za-z0-9]+", "_", page).strip("_")[:60] or "home"
            stem = os.path.join(self.out, f"{len(self.saved):03d}-{role}-{mode}-{slug}")
            try:
                d.save_screenshot(stem + ".png")
                with open(stem + ".html", "w", encoding="utf-8") as fh:
                    fh.write(d.page_source)
            except Exception as e:  # a screenshot that cannot be taken must not hide the failure itself
                print(f"  (could not save {stem}: {e})")

    def write(self) -> None:
        with open(os.path.join(self.out, "failures.json"), "w", encoding="utf-8") as fh:
            json.dump([f.__dict__ for f in self.failures], fh, ensure_ascii=False, indent=1)


def same_site(base: str, href: str) -> bool:
    return urlsplit(urljoin(base + "/", href)).netloc == urlsplit(base).netloc
