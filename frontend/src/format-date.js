// Format ISO dates for content inserted live (websocket pop-ups, toasts…).
// Server-rendered `<time datetime data-format>` elements are NOT touched: the
// server already renders them in the user's calendar.
//
//   crm.formatDate('2024-08-02T10:30:00Z', {calendar: 'jalali', lang: 'fa', withTime: true})
//     → '۱۲ مرداد ۱۴۰۳، ۱۴:۰۰'  (Asia/Tehran browser)
//   crm.formatDate('2024-08-02', {calendar: 'gregorian', lang: 'en'}) → 'Aug 2, 2024'
//
// Options (all optional):
//   lang      'fa' | 'en' | 'uk'          default: <html lang>
//   calendar  'jalali' | 'gregorian'      default: <html data-calendar>, else jalali for fa
//   withTime  boolean                     default: true when the ISO string has a time
//   numeric   boolean                     '1403/05/12 14:00' / '2024-08-02 14:00' style
//   timeZone  IANA name                   default: the browser's time zone
import { toJalaali } from 'jalaali-js';
import { localDigits, pad2 } from './calendar.js';
import { pageLang, normLang, defaultCalendar, monthNames } from './i18n.js';

const INTL_LOCALE = { fa: 'fa-IR', en: 'en-US', uk: 'uk-UA' };

/** Wall-clock parts of an instant in a time zone. */
function wallClock(date, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(date);
  const get = (type) => +parts.find((p) => p.type === type).value;
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour') % 24, min: get('minute') };
}

export function formatDate(iso, options = {}) {
  if (iso === null || iso === undefined || iso === '') return '';
  const lang = options.lang ? normLang(options.lang) : pageLang();
  const calendar = options.calendar === 'gregorian' || options.calendar === 'jalali'
    ? options.calendar
    : defaultCalendar(lang);
  const str = String(iso).trim();
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(str);
  const withTime = options.withTime !== undefined ? !!options.withTime && !dateOnly : !dateOnly;

  let wc;
  if (dateOnly) {
    // A calendar date has no time zone: never shift it by the browser's offset.
    const [y, m, d] = str.split('-').map(Number);
    wc = { y, m, d, h: 0, min: 0 };
  } else {
    const date = iso instanceof Date ? iso : new Date(str);
    if (Number.isNaN(date.getTime())) return String(iso);
    wc = wallClock(date, options.timeZone);
  }
  const time = `${pad2(wc.h)}:${pad2(wc.min)}`;

  let ymd = { y: wc.y, m: wc.m, d: wc.d };
  if (calendar === 'jalali') {
    const j = toJalaali(wc.y, wc.m, wc.d);
    ymd = { y: j.jy, m: j.jm, d: j.jd };
  }

  if (options.numeric) {
    const sep = calendar === 'jalali' ? '/' : '-';
    let out = `${ymd.y}${sep}${pad2(ymd.m)}${sep}${pad2(ymd.d)}`;
    if (withTime) out += ` ${time}`;
    return localDigits(out, lang);
  }

  if (calendar === 'gregorian') {
    const fmt = new Intl.DateTimeFormat(`${INTL_LOCALE[lang]}-u-ca-gregory`, {
      timeZone: 'UTC',
      dateStyle: 'medium',
      ...(withTime ? { timeStyle: 'short', hourCycle: lang === 'en' ? 'h12' : 'h23' } : {}),
    });
    return fmt.format(new Date(Date.UTC(ymd.y, ymd.m - 1, ymd.d, wc.h, wc.min)));
  }

  // Jalali: built by hand so every browser prints the same thing (Intl adds
  // era suffixes such as "AP" for en/uk).
  const month = monthNames('jalali', lang)[ymd.m - 1];
  let out = lang === 'en' ? `${month} ${ymd.d}, ${ymd.y}` : `${ymd.d} ${month} ${ymd.y}`;
  if (withTime) out += `${lang === 'fa' ? '، ' : ', '}${time}`;
  return localDigits(out, lang);
}
