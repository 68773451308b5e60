"""The crawl: for one demo account, every page reachable by links from its home page, breadth
first, held to the rules of `pages.py`, each kind of page (route pattern) also in elder mode on a
phone and with JavaScript off.

Which links are followed (the rest are left alone, decided by the link alone):
- same site only, the fragment dropped;
- not `/logout` (ends the session) or `/preferences` (the language and elder switches: they set
  a cookie, and the suite sets elder mode itself);
- not under `/api/` or `/static/` (not pages; static files are checked as the pages load them);
- not a download: a last path segment `export`, `bank-file` or `errors`, or a `format=` in the
  query (exports are audited, so opening them would change data; story 3 fetches a bank file);
- at most CAP addresses of one route pattern (`/elders/:id`: any segment holding a digit is an
  id), so 2,000 people's pages are two pages, not 2,000.
GET links never change data in this application (every change is a POST form), so what is left
is safe to open.
"""
import re
import time
from collections import deque
from urllib.parse import parse_qs, urljoin, urlsplit

from browser import PHONE, path_of, statuses
from pages import ELDER, FACTS, axe_violations, template_marks, text_keys

CAP = 2
MAX_PAGES = 220
DOWNLOAD_SEGMENTS = {"export", "bank-file", "errors"}


def pattern(url: str) -> str:
    path = urlsplit(url).path.rstrip("/") or "/"
    return "/".join(":id" if re.search(r"\d", seg) else seg for seg in path.split("/")) or "/"


def followed(base: str, url: str) -> bool:
    s = urlsplit(url)
    if s.netloc != urlsplit(base).netloc or s.scheme not in ("http", "https"):
        return False
    path = s.path
    if path in ("/logout", "/preferences") or path.startswith(("/api/", "/static/")) or path == "/favicon.ico":
        return False
    if path.rstrip("/").split("/")[-1] in DOWNLOAD_SEGMENTS or "format" in parse_qs(s.query):
        return False
    return True


class Crawl:
    def __init__(self, base, report, axe_source, usernames, desktop, phone, noscript):
        self.base, self.report, self.axe = base, report, axe_source
        self.usernames = usernames
        self.desktop, self.phone, self.noscript = desktop, phone, noscript
        # (role, route pattern) pairs already held to the accessibility rules: a second account of
        # the same role (demo_bureau2, demo_township2) is crawled for its links but not measured again.
        self.measured: set[tuple[str, str]] = set()

    def check_statuses(self, d, role, page, mode, requested, linked_from=None):
        for url, status, kind in statuses(d):
            if urlsplit(url).netloc != urlsplit(self.base).netloc:
                continue
            if status >= 400:
                origin = f", linked from {linked_from}" if linked_from else ""
                self.report.fail(d, role, page, "status", f"{path_of(url)} answered {status} ({kind or 'page'}){origin}", mode)
        landed = urlsplit(d.current_url).path
        if landed == "/login" and urlsplit(requested).path != "/login":
            self.report.fail(d, role, page, "status", "sent to the sign-in page", mode)

    def page_rules(self, d, role, page, mode, facts):
        marks = template_marks(facts["texts"])
        if marks:
            self.report.fail(d, role, page, "template-error", "template markup on the page: " + ", ".join(marks), mode)
        keys = text_keys(facts["texts"], self.usernames)
        if keys:
            self.report.fail(d, role, page, "text-key", "text keys shown instead of text: " + ", ".join(keys[:8]), mode)
        name = facts["title"].split(" · ")[0].strip()
        if not name:
            self.report.fail(d, role, page, "title", f"the title does not name the page: {facts['title']!r}", mode)

    def run(self, account: str, role: str) -> dict:
        """Crawls as the account signed in on all three browsers; returns what it covered."""
        started = time.time()
        d = self.desktop
        start = d.current_url
        queue = deque([start])
        per_pattern: dict[str, int] = {pattern(start): 1}
        seen = {start}
        linked_from: dict[str, str] = {}
        facts_by_pattern: dict[str, dict] = {}
        first_url: dict[str, str] = {}
        visited = 0
        while queue and visited < MAX_PAGES:
            url = queue.popleft()
            page = path_of(url)
            visited += 1
            d.get(url)
            self.check_statuses(d, account, page, "desktop", url, linked_from.get(url))
            facts = d.execute_script(FACTS)
            self.page_rules(d, account, page, "desktop", facts)
            pat = pattern(d.current_url)
            if pat not in facts_by_pattern and (role, pat) not in self.measured:
                self.measured.add((role, pat))
                facts_by_pattern[pat] = facts
                first_url[pat] = d.current_url
                for v in axe_violations(d, self.axe):
                    self.report.fail(d, account, page, "axe", v, "desktop")
            for href in facts["links"]:
                link = href.split("#")[0]
                if not link or link in seen or not followed(self.base, link):
                    continue
                seen.add(link)
                linked_from[link] = page
                p = pattern(link)
                if per_pattern.get(p, 0) >= CAP:
                    continue
                per_pattern[p] = per_pattern.get(p, 0) + 1
                queue.append(link)
        crawl_seconds = time.time() - started
        for pat, url in first_url.items():
            self.elder_phone(account, url)
            self.without_script(account, url, facts_by_pattern[pat])
        return {"pages": visited, "patterns": len({pattern(u) for u in seen}), "measured": len(first_url),
                "seconds": round(time.time() - started, 1),
                "crawl_seconds": round(crawl_seconds, 1), "left_in_queue": len(queue)}

    def elder_phone(self, role, url):
        d, page, mode = self.phone, path_of(url), "elder-phone"
        d.get(url)
        self.check_statuses(d, role, page, mode, url)
        m = d.execute_script(ELDER)
        # A phone zooms out to show a page wider than its screen, so the screen's width is the measure.
        if m["scrollWidth"] > PHONE["width"] + 1:
            self.report.fail(d, role, page, "phone-scroll", f"the page is {m['scrollWidth']} px wide on a {PHONE['width']} px screen", mode)
        if m["text"]:
            self.report.fail(d, role, page, "elder-text", f"{len(m['text'])} texts under 18 px: " + "; ".join(m["text"][:6]), mode)
        if m["h1"]:
            self.report.fail(d, role, page, "elder-h1", "h1 under 30 px: " + "; ".join(m["h1"]), mode)
        if m["targets"]:
            self.report.fail(d, role, page, "elder-target", f"{len(m['targets'])} targets under 60×60 px: "
                             + "; ".join(m["targets"][:6]), mode)
        for v in axe_violations(d, self.axe):
            self.report.fail(d, role, page, "axe", v, mode)

    def without_script(self, role, url, with_script):
        d, page, mode = self.noscript, path_of(url), "no-script"
        d.get(url)
        self.check_statuses(d, role, page, mode, url)
        facts = d.execute_script(FACTS)
        if not facts["h1"] or facts["mainText"] < with_script["mainText"] - 40:
            self.report.fail(d, role, page, "no-script", f"main content missing without JavaScript: h1 {facts['h1']!r}, "
                             f"{facts['mainText']} characters of main text against {with_script['mainText']} with it", mode)
        missing = [f"{action} [{fields}]" for action, fields in with_script["forms"] if [action, fields] not in facts["forms"]]
        if missing:
            self.report.fail(d, role, page, "no-script", "forms missing or changed without JavaScript: " + "; ".join(missing[:4]), mode)
