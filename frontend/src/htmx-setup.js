// htmx 2 configured for a strict Content-Security-Policy (no eval, no inline
// styles) and Django's CSRF protection.
import htmx from 'htmx.org';
import { csrfToken } from './csrf.js';

// No eval-based features: hx-on, hx-vars, `js:` in hx-vals and trigger filters
// `[…]` stay disabled (they would be blocked by the CSP anyway).
htmx.config.allowEval = false;
// htmx would inject a <style> element for .htmx-indicator; our crm.css has the
// rules instead (style-src without 'unsafe-inline').
htmx.config.includeIndicatorStyles = false;

document.addEventListener('htmx:configRequest', (event) => {
  const token = csrfToken();
  if (token) event.detail.headers['X-CSRFToken'] = token;
});

window.htmx = htmx;

export default htmx;
