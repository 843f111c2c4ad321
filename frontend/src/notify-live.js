// Live notifications (PL-7): reminders, mentions… pop up as toasts with a beep in
// every open tab of the signed-in user.
//
// The base template names the endpoints (only for signed-in users):
//   <meta name="crm-notify-ws" content="/ws/notifications/">     websocket path
//   <meta name="crm-notify-poll" content="/notifications/poll/">  JSON fallback
//   <meta name="crm-user" content="42">                          scopes sessionStorage
//
// Protocol: the server sends {"type":"notification", id, kind, title, body, url, at};
// after (re)connecting the client sends {"type":"since","id":<last shown id>} so
// nothing in between is missed. When the websocket cannot connect at all, the
// client polls GET <poll>?after=<id> every 10 s (-> {notifications:[…], last_id, unread})
// and keeps retrying the websocket slowly. The last shown id is kept in
// sessionStorage, so a tab never shows the same notification twice (also across
// page loads); a new tab starts from "now".
import { notify } from './notify.js';
import { pageLang } from './i18n.js';
import { toPersianDigits } from './calendar.js';

const POLL_MS = 10000;
const MAX_BACKOFF_MS = 30000;
const SLOW_RETRY_MS = 60000;
const MAX_TOASTS_PER_BURST = 3;

const MORE = {
  fa: (n) => `${toPersianDigits(String(n))} اعلان دیگر`,
  en: (n) => `${n} more notification${n === 1 ? '' : 's'}`,
  uk: (n) => `Ще сповіщень: ${n}`,
};

function meta(name, doc) {
  const el = doc.querySelector(`meta[name="${name}"]`);
  return el ? el.getAttribute('content') : null;
}

/** The bell's badge: `#crm-bell-count` (data-count holds the number). */
export function setBellCount(count, doc = document) {
  const badge = doc.getElementById('crm-bell-count');
  if (!badge) return;
  const n = Math.max(0, Number(count) || 0);
  badge.dataset.count = String(n);
  const text = n > 99 ? '99+' : String(n);
  badge.textContent = pageLang(doc) === 'fa' ? toPersianDigits(text) : text;
  badge.classList.toggle('d-none', n === 0);
}

function bumpBell(by, doc) {
  const badge = doc.getElementById('crm-bell-count');
  if (!badge) return;
  setBellCount((Number(badge.dataset.count) || 0) + by, doc);
}

export function startLiveNotifications({ doc = document, WebSocketImpl = window.WebSocket } = {}) {
  const wsPath = meta('crm-notify-ws', doc);
  const pollUrl = meta('crm-notify-poll', doc);
  if (!wsPath && !pollUrl) return null;
  const storageKey = `crm.notify.lastId.${meta('crm-user', doc) || ''}`;

  const state = {
    lastId: readLastId(),
    socket: null,
    everOpened: false,
    attempts: 0,
    polling: null,
    retry: null,
    stopped: false,
    mode: 'connecting',
  };

  function readLastId() {
    try {
      const raw = sessionStorage.getItem(storageKey);
      return raw && /^\d+$/.test(raw) ? Number(raw) : null;
    } catch {
      return null;
    }
  }

  function remember(id) {
    if (state.lastId !== null && id <= state.lastId) return;
    state.lastId = id;
    try {
      sessionStorage.setItem(storageKey, String(id));
    } catch {
      // private mode or storage full: the tab only forgets across reloads
    }
  }

  /** Show new notifications (oldest first); skip what this tab has shown already. */
  function show(rows) {
    const fresh = rows
      .filter((r) => r && Number.isInteger(r.id) && (state.lastId === null || r.id > state.lastId))
      .sort((a, b) => a.id - b.id);
    if (!fresh.length) return;
    const lang = pageLang(doc);
    fresh.slice(0, MAX_TOASTS_PER_BURST).forEach((row, i) => {
      notify({ title: row.title, body: row.body, url: row.url || null, sound: i === 0, delay: 10000 });
    });
    const more = fresh.length - MAX_TOASTS_PER_BURST;
    if (more > 0) {
      const link = doc.querySelector('a[href$="/notifications/"]');
      notify({ title: (MORE[lang] || MORE.en)(more), url: link ? link.href : null, sound: false });
    }
    remember(fresh[fresh.length - 1].id);
    bumpBell(fresh.length, doc);
    doc.dispatchEvent(new CustomEvent('crm:notifications', { detail: { notifications: fresh } }));
  }

  // ---- websocket ------------------------------------------------------------------------

  function socketUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}${wsPath}`;
  }

  function connect() {
    if (state.stopped || !wsPath || !WebSocketImpl) {
      if (!state.stopped) startPolling();
      return;
    }
    let socket;
    try {
      socket = new WebSocketImpl(socketUrl());
    } catch {
      onClose(null);
      return;
    }
    state.socket = socket;
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      state.everOpened = true;
      state.attempts = 0;
      state.mode = 'websocket';
      stopPolling();
      if (state.lastId !== null) socket.send(JSON.stringify({ type: 'since', id: state.lastId }));
    });
    socket.addEventListener('message', (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data && data.type === 'notification') show([data]);
    });
    socket.addEventListener('close', (event) => {
      if (state.socket === socket) state.socket = null;
      onClose(event, opened);
    });
  }

  function onClose(event, opened = false) {
    if (state.stopped) return;
    if (event && event.code === 4401) {
      // not signed in (any more): nothing to listen for
      stop();
      return;
    }
    state.attempts += 1;
    if (!opened && (!state.everOpened || state.attempts >= 2)) startPolling();
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(state.attempts - 1, 5));
    const delay = state.polling ? Math.max(backoff, SLOW_RETRY_MS) : backoff;
    clearTimeout(state.retry);
    state.retry = setTimeout(connect, delay + Math.floor(Math.random() * 500));
  }

  // ---- polling fallback -----------------------------------------------------------------

  async function pollOnce() {
    if (!pollUrl) return;
    const url = new URL(pollUrl, location.href);
    if (state.lastId !== null) url.searchParams.set('after', String(state.lastId));
    let data;
    try {
      const response = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
        cache: 'no-store',
      });
      if (!response.ok || response.redirected) return;
      data = await response.json();
    } catch {
      return;
    }
    if (state.lastId === null) {
      // first contact of this tab: start from now, show nothing old
      remember(Number(data.last_id) || 0);
    } else {
      show(Array.isArray(data.notifications) ? data.notifications : []);
      if (Number.isInteger(data.last_id)) remember(data.last_id);
    }
    if (Number.isInteger(data.unread)) setBellCount(data.unread, doc);
  }

  function startPolling() {
    if (state.polling || !pollUrl || state.stopped) return;
    state.mode = 'polling';
    pollOnce();
    state.polling = setInterval(pollOnce, POLL_MS);
  }

  function stopPolling() {
    if (state.polling) clearInterval(state.polling);
    state.polling = null;
  }

  function stop() {
    state.stopped = true;
    state.mode = 'stopped';
    stopPolling();
    clearTimeout(state.retry);
    if (state.socket) state.socket.close();
  }

  window.addEventListener('online', () => {
    if (!state.socket && !state.stopped) {
      clearTimeout(state.retry);
      connect();
    }
  });

  // A tab seen for the first time learns where "now" is, so a later page load can
  // ask the websocket for what it missed in between.
  if (state.lastId === null && pollUrl) pollOnce();
  connect();

  return {
    get mode() {
      return state.mode;
    },
    get lastId() {
      return state.lastId;
    },
    stop,
    pollOnce,
  };
}
