// Service worker (built to dist/sw.js; Django must serve it at /sw.js so its
// scope is "/").
//
// - App shell (CSS, JS, fonts, icons, sound) is precached at install and served
//   cache-first from then on; other /static/ files are cached on first use.
// - Page navigations are network-first; every successful HTML page is kept
//   (the last MAX_PAGES) so that recently viewed pages can be read offline.
//   Without network and without a copy, a small offline page is shown.
// - Only same-origin GET requests are handled. /api/, /admin/, htmx partial
//   requests and anything non-GET go straight to the network and are never
//   cached. Responses with `Cache-Control: no-store` are never cached.
// - A POST to a .../logout/ URL, or a {type: 'crm:clear-pages'} message, wipes
//   the page copies.
/* global __CRM_SW_VERSION__, __CRM_SW_SHELL__, __CRM_STATIC_URL__ */
const VERSION = __CRM_SW_VERSION__;
const SHELL = __CRM_SW_SHELL__;
const STATIC_URL = __CRM_STATIC_URL__;
const SHELL_CACHE = `crm-shell-${VERSION}`;
const PAGES_CACHE = 'crm-pages';
const MAX_PAGES = 40;
const NEVER = [/^\/api\//, /^\/admin\//, /^\/sw\.js$/];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      // One missing file must not break the install.
      .then((cache) => Promise.allSettled(SHELL.map((url) => cache.add(new Request(url, { cache: 'reload' })))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((n) => n.startsWith('crm-shell-') && n !== SHELL_CACHE)
            .map((n) => caches.delete(n)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'crm:clear-pages') {
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});

function cacheable(response) {
  if (!response || !response.ok || response.type !== 'basic' || response.redirected) return false;
  const cc = response.headers.get('Cache-Control') || '';
  return !/no-store/i.test(cc);
}

async function trimPages() {
  const cache = await caches.open(PAGES_CACHE);
  const keys = await cache.keys();
  // Cache keys are kept in insertion order; re-putting a page moves it last.
  for (let i = 0; i < keys.length - MAX_PAGES; i++) await cache.delete(keys[i]);
}

function pageKey(url) {
  const u = new URL(url);
  u.hash = '';
  return u.href;
}

async function networkFirstPage(request) {
  const key = pageKey(request.url);
  try {
    const response = await fetch(request);
    const type = response.headers.get('Content-Type') || '';
    if (cacheable(response) && type.includes('text/html')) {
      const cache = await caches.open(PAGES_CACHE);
      await cache.delete(key);
      await cache.put(key, response.clone());
      trimPages();
    }
    return response;
  } catch (err) {
    const cached = await caches.match(key, { cacheName: PAGES_CACHE });
    if (cached) return cached;
    return offlinePage();
  }
}

async function cacheFirstStatic(request, event) {
  // Static files carry cache-busting queries (bootstrap-icons.woff2?hash); the
  // shell cache is renewed with every deployment, so the query can be ignored.
  const cached = await caches.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (cacheable(response)) {
    const copy = response.clone();
    event.waitUntil(caches.open(SHELL_CACHE).then((c) => c.put(request, copy)));
  }
  return response;
}

function offlinePage() {
  const html = `<!doctype html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offline</title><link rel="stylesheet" href="${STATIC_URL}crm.rtl.css"></head>
<body class="crm-offline"><main class="container py-5 text-center">
<p class="display-6"><i class="bi bi-wifi-off" aria-hidden="true"></i></p>
<p class="lead">اتصال اینترنت برقرار نیست و نسخه‌ای از این صفحه ذخیره نشده است.</p>
<p lang="en" dir="ltr">You are offline and this page has not been saved for offline reading.</p>
<p lang="uk" dir="ltr">Немає з’єднання, і ця сторінка не збережена для читання офлайн.</p>
</main></body></html>`;
  return new Response(html, {
    status: 503,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.method !== 'GET') {
    if (request.method === 'POST' && /\/logout\/?$/.test(url.pathname)) {
      event.waitUntil(caches.delete(PAGES_CACHE));
    }
    return;
  }
  if (NEVER.some((re) => re.test(url.pathname))) return;
  if (request.headers.get('HX-Request')) return; // htmx partials: network only

  if (request.mode === 'navigate') {
    event.respondWith(networkFirstPage(request));
    return;
  }
  if (url.pathname.startsWith(STATIC_URL)) {
    event.respondWith(cacheFirstStatic(request, event));
  }
});
