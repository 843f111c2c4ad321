"""Screenshots of the date picker demo in headless Chromium (no browser download).

    cd frontend && npm run build && ../.venv/bin/python demo/screenshots.py [OUTDIR]

Serves frontend/ on 127.0.0.1 (so the page's CSP is enforced as in the CRM),
opens demo/datepicker.html in fa / en / uk, opens pickers with real clicks and
key presses, and fails on any console error or CSP violation.
"""

import functools
import http.server
import pathlib
import sys
import tempfile
import threading

from playwright.sync_api import sync_playwright

FRONTEND = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir())
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():  # noqa: PLR0915 - one linear browser scenario
    handler = functools.partial(QuietHandler, directory=str(FRONTEND))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/demo/datepicker.html"
    errors = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("response", lambda r: r.status >= 400 and errors.append(f"HTTP {r.status} {r.url}"))

            def shot(lang, input_id, name, keys=()):
                page.goto(f"{base}?lang={lang}")
                page.wait_for_function("window.crm && document.fonts.status === 'loaded'")
                page.click(f"#{input_id} ~ .crm-dp-toggle")
                page.wait_for_selector(".crm-dp")
                for k in keys:
                    page.keyboard.press(k)
                page.evaluate("document.fonts.ready")
                path = OUT / f"dp-{name}.png"
                page.screenshot(path=str(path))
                print(
                    "wrote",
                    path,
                    "| value:",
                    page.input_value(f"#{input_id}"),
                    "| title:",
                    page.text_content(".crm-dp-title"),
                )

            shot("fa", "jd", "fa")
            shot("en", "gd", "en")
            shot("uk", "gd", "uk")
            shot("fa", "jdt", "fa-datetime")
            shot("en", "jd", "en-jalali")

            # Keyboard: in RTL ArrowLeft is the next day; Enter picks and closes.
            page.goto(f"{base}?lang=fa")
            page.wait_for_function("window.crm")
            page.fill("#jd", "1403/05/12")
            page.click("#jd ~ .crm-dp-toggle")
            page.keyboard.press("ArrowLeft")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            assert page.input_value("#jd") == "1403/05/20", page.input_value("#jd")
            assert page.query_selector(".crm-dp") is None
            # Persian digits typed by hand are tidied on change.
            page.fill("#jd", "۱۴۰۳/۱/۹")
            page.keyboard.press("Tab")
            assert page.input_value("#jd") == "1403/01/09", page.input_value("#jd")
            # Escape closes; the toast shows.
            page.click("#jd ~ .crm-dp-toggle")
            page.keyboard.press("Escape")
            assert page.query_selector(".crm-dp") is None
            page.click("#demo-notify")
            page.wait_for_selector("#toast-area .toast.show")
            page.wait_for_timeout(500)  # fade-in
            page.screenshot(path=str(OUT / "dp-toast.png"))
            assert page.evaluate("typeof htmx !== 'undefined' && htmx.config.allowEval === false")

            # Datetime: picking a day keeps the time and moves focus to the time
            # field; Enter there closes the popup.
            page.fill("#gdt", "2024-08-02 14:30")
            page.click("#gdt ~ .crm-dp-toggle")
            page.locator(".crm-dp-day:not(.is-outside)").nth(14).click()
            assert page.input_value("#gdt") == "2024-08-15 14:30", page.input_value("#gdt")
            page.fill(".crm-dp-time-input", "9:05")
            page.keyboard.press("Enter")
            assert page.input_value("#gdt") == "2024-08-15 09:05", page.input_value("#gdt")
            assert page.query_selector(".crm-dp") is None

            # data-confirm: "Cancel" stops the submission.
            submitted = []
            page.evaluate(
                "document.getElementById('demo-form').addEventListener('submit', () => window.__submitted = true)"
            )
            page.once("dialog", lambda d: (submitted.append(d.message), d.dismiss()))
            page.click("button[data-confirm]")
            assert submitted == ["Submit the demo form?"], submitted
            assert page.evaluate("!window.__submitted")

            # htmx requests and the widget-order POST carry the CSRF token; widget
            # dragging works in the RTL grid (see sortable-widgets.js).
            seen = {}

            def capture(route, request):
                seen[request.url.rsplit("/", 1)[-1]] = (
                    request.method,
                    request.headers.get("x-csrftoken"),
                    request.post_data,
                )
                route.fulfill(status=200, body="ok")

            page.route("**/htmx-probe", capture)
            page.route("**/does-not-exist", capture)
            page.evaluate("htmx.ajax('GET', 'htmx-probe', {target: 'body', swap: 'none'})")
            page.locator("[data-sortable-url]").scroll_into_view_if_needed()
            src = page.locator("[data-widget-key=deals] .widget-handle").bounding_box()
            dst = page.locator("[data-widget-key=tasks]").bounding_box()
            page.mouse.move(src["x"] + 4, src["y"] + 4)
            page.mouse.down()
            for i in range(1, 11):
                page.mouse.move(
                    src["x"] + (dst["x"] + dst["width"] / 2 - src["x"]) * i / 10,
                    src["y"] + (dst["y"] + dst["height"] / 2 - src["y"]) * i / 10,
                )
                page.wait_for_timeout(30)
            page.mouse.up()
            page.wait_for_timeout(500)
            assert seen.get("htmx-probe", (None, None))[1] == "demo-csrf-token", seen
            assert seen.get("does-not-exist") == (
                "POST",
                "demo-csrf-token",
                "order=deals%2Ctasks%2Ccontacts%2Ccalls",
            ), seen

            # Content swapped in by htmx is enhanced too.
            page.route(
                "**/htmx-fragment",
                lambda route, request: route.fulfill(
                    status=200,
                    content_type="text/html",
                    body='<input id="late" data-datepicker="date" data-calendar="jalali">',
                ),
            )
            page.evaluate("htmx.ajax('GET', 'htmx-fragment', {target: '#format-output', swap: 'afterend'})")
            page.wait_for_selector("#late ~ .crm-dp-toggle")

            browser.close()
    finally:
        server.shutdown()
    if errors:
        print("console errors:", *errors, sep="\n  ")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
