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
import { notify, playSound, beep, installAudioUnlock } from './notify.js';
import { startLiveNotifications, setBellCount } from './notify-live.js';
import { initMentionPickers } from './mentions.js';
import { installQuickCreate } from './quick-create.js';
import './insert-text.js'; // placeholder buttons: data-insert puts text at the cursor
import { registerServiceWorker, clearOfflinePages } from './sw-register.js';
import { csrfToken } from './csrf.js';
import { pageLang, t } from './i18n.js';
import { toLatinDigits, toPersianDigits } from './calendar.js';

window.bootstrap = bootstrap;
window.Sortable = Sortable;

/** Enhance server-rendered or htmx-swapped content. */
function enhance(root) {
  initDatepickers(root);
  initSortables(root);
  initMentionPickers(root);
}

const crm = {
  version: process.env.CRM_VERSION,
  htmx,
  formatDate,
  notify,
  playSound,
  beep,
  setBellCount,
  csrfToken,
  enhance,
  getDatepicker,
  clearOfflinePages,
  toLatinDigits,
  toPersianDigits,
};
window.crm = Object.assign(window.crm || {}, crm);

installConfirm();
installAudioUnlock();
installQuickCreate();

// htmx.onLoad runs for document.body once htmx is ready and for every piece of
// content htmx swaps in afterwards.
htmx.onLoad(enhance);
// …and directly, in case the bundle was loaded after htmx's ready callback ran.
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => enhance(document.body));
} else {
  enhance(document.body);
}
document.addEventListener('htmx:beforeSwap', (event) => closeDatepickers(event.detail && event.detail.target));
document.addEventListener('htmx:oobBeforeSwap', (event) => closeDatepickers(event.detail && event.detail.target));
// An htmx action that failed (403/404/500, or the network) says so instead of doing nothing.
document.addEventListener('htmx:responseError', (e) => {
  const status = e.detail && e.detail.xhr ? e.detail.xhr.status : 0;
  notify({ title: t(pageLang(), 'failed'), body: status ? `HTTP ${status}` : '', level: 'danger', sound: false });
});
document.addEventListener('htmx:sendError', () => {
  notify({ title: t(pageLang(), 'offline'), level: 'warning', sound: false });
});

registerServiceWorker();

// Live pop-ups for signed-in pages (the base template provides the endpoints).
function startLive() {
  window.crm.live = startLiveNotifications();
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startLive);
else startLive();

export default crm;
