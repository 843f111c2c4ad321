// CSRF token for htmx and fetch requests.
//
// Read from `<meta name="csrf-token" content="…">` (rendered by the base
// template with `{{ csrf_token }}`); falls back to Django's `csrftoken` cookie.
export function csrfToken(doc = document) {
  const meta = doc.querySelector('meta[name="csrf-token"]');
  const fromMeta = meta && meta.getAttribute('content');
  if (fromMeta) return fromMeta;
  const m = doc.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

/** Where the built assets are served: `<meta name="crm-static-url">`, default `/static/`. */
export function staticUrl(path = '', doc = document) {
  const meta = doc.querySelector('meta[name="crm-static-url"]');
  let base = (meta && meta.getAttribute('content')) || '/static/';
  if (!base.endsWith('/')) base += '/';
  return base + String(path).replace(/^\/+/, '');
}
