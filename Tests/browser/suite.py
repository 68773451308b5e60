"""The browser suite: every demo account's pages crawled and held to the page, accessibility and
age-friendly rules, then the stories a user finishes through forms and buttons.

    python3 Tests/browser/suite.py http://127.0.0.1:PORT --out DIR [--serve-log LOG] [--only crawl|stories]
        [--roles demo_a,demo_b]

Normally started by Tests/browser/run.sh, which builds nothing, starts `yiyang serve --demo` on a
fresh data folder and installs what is missing. Exits 1 when any rule fails; every failure is
printed as `FAIL role=… page=… mode=… rule=…` and saved (screenshot and HTML) in DIR.
"""
import argparse
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from browser import Report, demo_accounts, make_driver, path_of, sign_in  # noqa: E402
from crawl import Crawl  # noqa: E402
import stories  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def axe_source() -> str:
    import axe_core_python
    return open(os.path.join(os.path.dirname(axe_core_python.__file__), "axe.min.js"), encoding="utf-8").read()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("--out", required=True)
    ap.add_argument("--serve-log")
    ap.add_argument("--only", choices=["crawl", "stories"])
    ap.add_argument("--roles", help="comma-separated demo user names to crawl (default: all)")
    args = ap.parse_args()
    base = args.base.rstrip("/")
    os.makedirs(args.out, exist_ok=True)
    report = Report(args.out)
    accounts = demo_accounts(args.serve_log, os.path.join(ROOT, "Sources/YiyangApp/Demo/DemoData.swift"))
    if not accounts:
        print("no demo accounts found", file=sys.stderr)
        return 2
    started = time.time()
    desktop, phone, noscript = make_driver("desktop"), make_driver("phone"), make_driver("noscript")
    try:
        if args.only != "stories":
            crawl = Crawl(base, report, axe_source(), {a.username for a in accounts}, desktop, phone, noscript)
            wanted = set(args.roles.split(",")) if args.roles else None
            for a in accounts:
                if wanted and a.username not in wanted:
                    continue
                try:
                    sign_in(desktop, base, a.username)
                    sign_in(phone, base, a.username, elder=True)
                    sign_in(noscript, base, a.username)
                    covered = crawl.run(a.username, a.role)
                    print(f"crawl {a.username} ({a.role}): {covered['pages']} pages, {covered['patterns']} patterns, "
                          f"{covered['measured']} measured, "
                          f"{covered['seconds']} s (crawl {covered['crawl_seconds']} s)"
                          + (f", {covered['left_in_queue']} left unvisited at the page limit" if covered["left_in_queue"] else ""),
                          flush=True)
                except Exception as e:
                    report.fail(desktop, a.username, path_of(desktop.current_url), "crawl", f"{type(e).__name__}: {e}")
                    traceback.print_exc()
        if args.only != "crawl":
            for story in stories.ALL:
                t = time.time()
                try:
                    story(base, desktop, phone, report, {a.username for a in accounts})
                    print(f"story {story.__name__}: done in {time.time() - t:.1f} s", flush=True)
                except stories.Skipped as s:
                    print(f"story {story.__name__}: SKIPPED — {s}", flush=True)
                except Exception as e:
                    drv = getattr(e, "driver", desktop)
                    report.fail(drv, getattr(e, "role", "?"), path_of(drv.current_url), f"story:{story.__name__}",
                                f"{type(e).__name__}: {e}")
                    traceback.print_exc()
    finally:
        for d in (desktop, phone, noscript):
            d.quit()
        report.write()
    print(f"browser suite: {len(report.failures)} failures in {time.time() - started:.0f} s; output in {args.out}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
