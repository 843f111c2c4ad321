// Entry point of dist/crm.js (one IIFE bundle; load it with
// <script src="/static/crm.js" defer nonce="…"></script>).
//
// Everything here is CSP-safe: no eval, no inline handlers, no inline styles
// injected by libraries.
import htmx from './htmx-setup.js';
import * as bootstrap from 'bootstrap';
import Sortable from 'sortablejs';
import { initDatepickers, closeDatepickers, getDatepicker } from './datepicker.js';
import { formatDate } from './format-date.js';
import { initSortables } from './sortable-widgets.js';
import { installConfirm } from './confirm.js';
import { notify, playSound } from './notify.js';
import { registerServiceWorker, clearOfflinePages } from './sw-register.js';
import { csrfToken } from './csrf.js';
import { toLatinDigits, toPersianDigits } from './calendar.js';

window.bootstrap = bootstrap;
window.Sortable = Sortable;

/** Enhance server-rendered or htmx-swapped content. */
function enhance(root) {
  initDatepickers(root);
  initSortables(root);
}

const crm = {
  version: process.env.CRM_VERSION,
  htmx,
  formatDate,
  notify,
  playSound,
  csrfToken,
  enhance,
  getDatepicker,
  clearOfflinePages,
  toLatinDigits,
  toPersianDigits,
};
window.crm = Object.assign(window.crm || {}, crm);

installConfirm();

// htmx.onLoad runs for document.body once htmx is ready and for every piece of
// content htmx swaps in afterwards.
htmx.onLoad(enhance);
// …and directly, in case the bundle was loaded after htmx's ready callback ran.
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => enhance(document.body));
} else {
  enhance(document.body);
}
document.addEventListener('htmx:beforeSwap', closeDatepickers);

registerServiceWorker();

export default crm;
