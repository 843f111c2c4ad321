"""End-to-end check of dist/sw.js in headless Chromium (no browser download).

    cd frontend && npm run build && ../.venv/bin/python demo/sw_check.py

Serves a fake CRM on 127.0.0.1 (/sw.js, /static/ = dist/, HTML pages, /api/),
lets the service worker take control, then goes offline and checks that
visited pages are readable offline, unvisited ones get the offline page, and
nothing from /api/ or POST ends up in the caches.
"""

import http.server
import json
import pathlib
import sys
import tempfile
import threading

from playwright.sync_api import sync_playwright

DIST = pathlib.Path(__file__).resolve().parent.parent / "dist"
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TYPES = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".wav": "audio/wav",
    ".webmanifest": "application/manifest+json",
    ".map": "application/json",
    ".txt": "text/plain",
}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body, ctype, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/sw.js":
            return self.send(200, (DIST / "sw.js").read_bytes(), TYPES[".js"], [("Cache-Control", "no-cache")])
        if path.startswith("/static/"):
            f = DIST / path[len("/static/") :]
            if f.is_file():
                return self.send(200, f.read_bytes(), TYPES.get(f.suffix, "application/octet-stream"))
            return self.send(404, b"nope", "text/plain")
        if path.startswith("/api/"):
            return self.send(200, json.dumps({"path": path}).encode(), "application/json")
        if path.startswith("/page/") or path == "/":
            secret = path.endswith("/secret")
            html = f"""<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8">
<meta name="csrf-token" content="t"><title>{path}</title>
<link rel="stylesheet" href="/static/crm.rtl.css"><script src="/static/crm.js" defer></script></head>
<body><main class="crm-content"><h1 id="h">صفحه {path}</h1></main></body></html>"""
            extra = [("Cache-Control", "no-store")] if secret else []
            return self.send(200, html.encode(), "text/html; charset=utf-8", extra)
        return self.send(404, b"nope", "text/plain")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return self.send(200, b"posted", "text/plain")


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            ctx = browser.new_context()
            page = ctx.new_page()
            page.goto(base + "/page/1")
            # The worker calls clients.claim(), so it controls this page once active.
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
            for url in ("/page/1", "/page/2", "/page/secret"):
                page.goto(base + url)
            page.evaluate("fetch('/api/contacts/').then(r => r.text())")
            page.evaluate("fetch('/page/2', {method: 'POST', body: 'x'}).then(r => r.text())")
            caches = page.evaluate("""async () => {
                const out = {};
                for (const name of await caches.keys()) {
                    const c = await caches.open(name);
                    out[name] = (await c.keys()).map(r => new URL(r.url).pathname);
                }
                return out;
            }""")
            print(json.dumps(caches, indent=1))
            pages = caches.get("crm-pages", [])
            shell = next(v for k, v in caches.items() if k.startswith("crm-shell-"))
            assert "/page/1" in pages and "/page/2" in pages, pages
            assert "/page/secret" not in pages, "no-store page was cached"
            assert not any("/api/" in u for v in caches.values() for u in v), "API response cached"
            assert "/static/crm.js" in shell and "/static/fonts/Vazirmatn-Regular.woff2" in shell, shell

            ctx.set_offline(True)
            page.goto(base + "/page/1")
            assert page.text_content("#h") == "صفحه /page/1", page.content()[:300]
            # The stylesheet came from the cache too.
            assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Vazirmatn")
            resp = page.goto(base + "/page/never-seen")
            assert resp.status == 503 and "offline" in page.content(), page.content()[:300]
            page.screenshot(path=str(pathlib.Path(tempfile.gettempdir()) / "sw-offline.png"))
            ctx.set_offline(False)
            browser.close()
    finally:
        server.shutdown()
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
