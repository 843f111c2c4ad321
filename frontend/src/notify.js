// In-page notifications: a Bootstrap toast + a short sound.
//
//   crm.notify({title: 'New lead', body: 'Ali Rezaei (0912 …)', url: '/leads/42/'})
//
// Toasts go into #toast-area (created when missing). Text is inserted with
// textContent (never as HTML). `url` must be same-origin (or relative); it
// makes the toast body a link. The sound is a short two-tone beep generated
// with the Web Audio API (no audio file; the old /static/sound/notify.wav is
// only used where Web Audio is missing). Browsers keep audio suspended until
// the user has interacted with the page: the first click or key press unlocks
// it (installAudioUnlock); a beep before that is silently skipped. When the tab
// is hidden and the user has granted notification permission, a system
// notification is shown as well.
import { Toast } from 'bootstrap';
import { staticUrl } from './csrf.js';
import { pageLang, t } from './i18n.js';

let audio = null;
let audioCtx = null;

function getAudioContext(create = true) {
  if (audioCtx || !create) return audioCtx;
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return null;
  try {
    audioCtx = new AC();
  } catch {
    audioCtx = null;
  }
  return audioCtx;
}

/** Resume (or create) the audio context on the first user gesture, so later beeps can play. */
export function installAudioUnlock(doc = document) {
  const unlock = () => {
    const ctx = getAudioContext(true);
    if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
    if (!ctx || ctx.state === 'running') {
      doc.removeEventListener('pointerdown', unlock, true);
      doc.removeEventListener('keydown', unlock, true);
    }
  };
  doc.addEventListener('pointerdown', unlock, true);
  doc.addEventListener('keydown', unlock, true);
}

/**
 * A short two-tone beep through Web Audio. Returns true when it was scheduled,
 * false when Web Audio is missing or the browser keeps audio locked (no user
 * gesture yet) — callers simply go on without sound.
 */
export function beep({ volume = 0.18 } = {}) {
  const ctx = getAudioContext(true);
  if (!ctx) return false;
  if (ctx.state === 'suspended') {
    ctx.resume().catch(() => {});
    if (ctx.state !== 'running') return false;
  }
  try {
    const start = ctx.currentTime + 0.01;
    const tones = [
      [880, 0, 0.16],
      [1318.5, 0.13, 0.3],
    ];
    for (const [freq, offset, length] of tones) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(freq, start + offset);
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(volume, start + offset + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + length);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + offset);
      osc.stop(start + offset + length + 0.02);
    }
    return true;
  } catch {
    return false;
  }
}

export function toastArea(doc = document) {
  let area = doc.getElementById('toast-area');
  if (!area) {
    area = doc.createElement('div');
    area.id = 'toast-area';
    area.className = 'toast-container position-fixed bottom-0 end-0 p-3';
    area.setAttribute('aria-live', 'polite');
    area.setAttribute('aria-atomic', 'false');
    doc.body.append(area);
  }
  return area;
}

function safeUrl(url) {
  if (!url) return null;
  try {
    const u = new URL(url, location.href);
    if (u.origin !== location.origin && location.origin !== 'null') return null;
    if (!/^https?:$|^file:$/.test(u.protocol)) return null;
    return u.href;
  } catch {
    return null;
  }
}

export function playSound(src = null) {
  if (getAudioContext(true)) {
    beep();
    return;
  }
  if (!src) src = staticUrl('sound/notify.wav');
  try {
    if (!audio || audio.dataset.src !== src) {
      audio = new Audio(src);
      audio.dataset.src = src;
      audio.preload = 'auto';
    }
    audio.currentTime = 0;
    const p = audio.play();
    if (p && typeof p.catch === 'function') p.catch(() => {});
  } catch {
    // no audio support: ignore
  }
}

export function notify({ title = '', body = '', url = null, level = 'primary', sound = true, delay = 8000 } = {}) {
  const lang = pageLang();
  const href = safeUrl(url);
  const area = toastArea();

  const toast = document.createElement('div');
  toast.className = `toast crm-toast crm-toast-${level}`;
  toast.setAttribute('role', 'status');
  toast.setAttribute('aria-live', 'polite');
  toast.setAttribute('aria-atomic', 'true');

  const header = document.createElement('div');
  header.className = 'toast-header text-body';
  const ic = document.createElement('i');
  ic.className = `bi bi-bell-fill text-${level} me-2`;
  ic.setAttribute('aria-hidden', 'true');
  const strong = document.createElement('strong');
  strong.className = 'me-auto';
  strong.dir = 'auto';
  strong.textContent = title || t(lang, 'notification');
  const small = document.createElement('small');
  small.className = 'text-body-secondary';
  small.textContent = t(lang, 'now');
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'btn-close';
  close.setAttribute('data-bs-dismiss', 'toast');
  close.setAttribute('aria-label', t(lang, 'close'));
  header.append(ic, strong, small, close);
  toast.append(header);

  if (body || href) {
    const content = document.createElement(href ? 'a' : 'div');
    content.className = 'toast-body d-block';
    content.dir = 'auto';
    if (href) {
      content.href = href;
      content.classList.add('text-reset', 'text-decoration-none');
    }
    content.textContent = body || href;
    toast.append(content);
  }

  area.append(toast);
  const instance = Toast.getOrCreateInstance(toast, { delay, autohide: delay > 0 });
  toast.addEventListener('hidden.bs.toast', () => {
    instance.dispose();
    toast.remove();
  });
  instance.show();

  if (sound) playSound();

  if (document.hidden && 'Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification(title || t(lang, 'notification'), { body, lang, tag: href || undefined });
      if (href) {
        n.onclick = () => {
          window.focus();
          location.href = href;
        };
      }
    } catch {
      // some browsers only allow notifications from the service worker
    }
  }
  return toast;
}
