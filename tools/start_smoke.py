"""Start smoke test, the browsing half (``bin/smoke-start`` runs ``bin/start`` and then this).

Against a running Zonebook with the demo province loaded: logs in as every demo user, opens the
home page and every page of its navigation bar, and, as the system administrator, starts the
alerts' refresh-and-notify job and waits until the background worker has run it.  Fails (exit 1)
on any response other than 200 (redirects are followed only where expected: the log-in and the job
start), on a login that does not succeed, and on a job that does not succeed.

Standard library only: it runs with the interpreter of the fresh virtualenv that ``bin/start``
created, which holds the main dependencies and nothing else.

    python tools/start_smoke.py http://127.0.0.1:8123/
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class NavLinks(HTMLParser):
    """The ``href`` of every link inside the page's first ``<nav>`` (the navigation bar)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.done = False
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "nav":
            self.depth += 1
        elif tag == "a" and self.depth:
            href = dict(attrs).get("href") or ""
            if href and not href.startswith(("#", "javascript:", "mailto:")):
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag == "nav" and self.depth:
            self.depth -= 1
            self.done = self.depth == 0


class Session:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies, NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, body, Location) of one request; redirects are returned, not followed."""
        url = urllib.parse.urljoin(self.base, path)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers={"Referer": url, "Accept-Language": "en"})
        try:
            with self.opener.open(req, timeout=120) as resp:
                return resp.status, resp.read().decode("utf-8", "replace"), ""
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace"), exc.headers.get("Location", "")

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def form_token(self, html: str) -> str:
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        return m.group(1) if m else self.csrf()


def login(base: str, username: str, password: str, problems: list[str]) -> Session | None:
    s = Session(base)
    status, html, _ = s.request("/accounts/login/")
    if status != 200:
        problems.append(f"{username}: login page answered {status}")
        return None
    status, html, location = s.request(
        "/accounts/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": s.form_token(html)},
    )
    if status != 302:
        problems.append(f"{username}: log-in refused (status {status}): wrong demo password or locked out")
        return None
    if "/accounts/password/" in location:
        problems.append(f"{username}: the demo user must change the password first ({location})")
        return None
    return s


def walk(s: Session, username: str, problems: list[str]) -> int:
    """Opens the home page and every navigation link; returns the number of pages opened."""
    status, html, location = s.request("/")
    if status != 200:
        problems.append(f"{username}: / answered {status} {location}")
        return 1
    parser = NavLinks()
    parser.feed(html)
    pages = [u for u in dict.fromkeys(parser.links) if urllib.parse.urlsplit(u).netloc in ("", None)]
    if len(pages) < 5:
        problems.append(f"{username}: the navigation bar has only {len(pages)} links: {pages}")
    for path in pages:
        started = time.monotonic()
        status, _body, location = s.request(path)
        took = time.monotonic() - started
        mark = "ok " if status == 200 else "FAIL"
        print(f"  {mark} {status} {took:5.2f}s {path}", flush=True)
        if status != 200:
            problems.append(f"{username}: {path} answered {status} {location}".rstrip())
    return 1 + len(pages)


def refresh_job(s: Session, problems: list[str], timeout: float = 180) -> None:
    """The alerts page's "refresh and notify" button: the background worker must run it to success."""
    status, html, _ = s.request("/alerts/")
    status, _body, location = s.request("/alerts/refresh/", {"csrfmiddlewaretoken": s.form_token(html)})
    m = re.search(r"/jobs/(\d+)/", location or "")
    if status != 302 or not m:
        problems.append(f"alerts refresh job could not be started (status {status}, Location {location!r})")
        return
    job = m.group(1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, html, _ = s.request(f"/jobs/{job}/progress/")
        if status != 200:
            problems.append(f"/jobs/{job}/progress/ answered {status}")
            return
        if "text-bg-success" in html:
            print(f"  ok  alerts refresh job {job} succeeded", flush=True)
            return
        if "text-bg-danger" in html:
            problems.append(f"alerts refresh job {job} failed (see var/worker.log)")
            return
        time.sleep(1)
    problems.append(
        f"alerts refresh job {job} did not finish within {timeout:.0f} s (is the worker running?)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="base URL of the running Zonebook, e.g. http://127.0.0.1:8123/")
    args = parser.parse_args()
    from zonebook.accounts.demo import DEMO_USERS

    problems: list[str] = []
    pages = 0
    for username, password, role, *_ in DEMO_USERS:
        print(f"{username} ({role})", flush=True)
        s = login(args.url, username, password, problems)
        if s is None:
            continue
        pages += walk(s, username, problems)
        if username == DEMO_USERS[0][0]:
            refresh_job(s, problems)
    print(f"{len(DEMO_USERS)} demo users, {pages} pages opened")
    if problems:
        print("START SMOKE TEST FAILED:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print("start smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
