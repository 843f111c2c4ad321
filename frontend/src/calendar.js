// Calendar arithmetic shared by the date picker and the date formatter.
//
// Every day is handled as a Julian Day Number (JDN, an integer) so that Jalali
// and Gregorian dates can be compared, stepped (+1 day, +7 days) and converted
// without going through JS Date objects and time zones.
import {
  j2d,
  d2j,
  g2d,
  d2g,
  jalaaliMonthLength,
  isValidJalaaliDate,
} from 'jalaali-js';

const PERSIAN_DIGITS = '۰۱۲۳۴۵۶۷۸۹';
const ARABIC_DIGITS = '٠١٢٣٤٥٦٧٨٩';

/** Replace Persian (۰-۹) and Arabic-Indic (٠-٩) digits with Latin ones. */
export function toLatinDigits(str) {
  return String(str).replace(/[۰-۹٠-٩]/g, (ch) => {
    const p = PERSIAN_DIGITS.indexOf(ch);
    return String(p >= 0 ? p : ARABIC_DIGITS.indexOf(ch));
  });
}

/** Replace Latin digits with Persian ones. */
export function toPersianDigits(str) {
  return String(str).replace(/[0-9]/g, (d) => PERSIAN_DIGITS[+d]);
}

/** Digits as the language writes them: Persian digits for fa, Latin otherwise. */
export function localDigits(str, lang) {
  return lang === 'fa' ? toPersianDigits(str) : String(str);
}

export const pad2 = (n) => String(n).padStart(2, '0');

/** Day of week of a JDN: 0 = Sunday … 6 = Saturday (same as Date#getDay). */
export function weekday(jdn) {
  return (jdn + 1) % 7;
}

/** JDN of today in the browser's local time zone. */
export function todayJdn(now = new Date()) {
  return g2d(now.getFullYear(), now.getMonth() + 1, now.getDate());
}

function isValidGregorian(y, m, d) {
  if (!(y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1)) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * The two calendars share one interface:
 *   fromJdn(jdn) -> {y, m, d};  toJdn(y, m, d) -> jdn;  monthLength(y, m);
 *   isValid(y, m, d);  format({y, m, d}) -> value string;  sep.
 */
export const CALENDARS = {
  jalali: {
    name: 'jalali',
    sep: '/',
    fromJdn(jdn) {
      const r = d2j(jdn);
      return { y: r.jy, m: r.jm, d: r.jd };
    },
    toJdn: (y, m, d) => j2d(y, m, d),
    monthLength: (y, m) => jalaaliMonthLength(y, m),
    isValid: (y, m, d) => y >= 1 && y <= 3177 && isValidJalaaliDate(y, m, d),
  },
  gregorian: {
    name: 'gregorian',
    sep: '-',
    fromJdn(jdn) {
      const r = d2g(jdn);
      return { y: r.gy, m: r.gm, d: r.gd };
    },
    toJdn: (y, m, d) => g2d(y, m, d),
    monthLength: (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate(),
    isValid: isValidGregorian,
  },
};

export function getCalendar(name) {
  return CALENDARS[name === 'gregorian' ? 'gregorian' : 'jalali'];
}

/** Move a {y, m} month by `delta` months. */
export function addMonths(y, m, delta) {
  const idx = y * 12 + (m - 1) + delta;
  return { y: Math.floor(idx / 12), m: (idx % 12) + 1 };
}

/**
 * Canonical value string: Jalali `YYYY/MM/DD`, Gregorian `YYYY-MM-DD`,
 * plus ` HH:MM` when `time` is given. Always Latin digits.
 */
export function formatValue(cal, ymd, time) {
  const s = cal.sep;
  let out = `${String(ymd.y).padStart(4, '0')}${s}${pad2(ymd.m)}${s}${pad2(ymd.d)}`;
  if (time) out += ` ${pad2(time.h)}:${pad2(time.min)}`;
  return out;
}

/** Parse `HH:MM` (also `H:M`, `HHMM`, Persian digits). Returns {h, min} or null. */
export function parseTime(str) {
  const s = toLatinDigits(String(str || '')).trim();
  let m = s.match(/^(\d{1,2})\s*[:٫.]\s*(\d{1,2})$/);
  if (!m) m = s.match(/^(\d{2})(\d{2})$/);
  if (!m) m = s.match(/^(\d{1,2})$/) && [s, s, '0'];
  if (!m) return null;
  const h = +m[1];
  const min = +m[2];
  if (h > 23 || min > 59) return null;
  return { h, min };
}

/**
 * Parse what a person typed into a date(time) field of the given calendar.
 * Accepts Persian/Arabic digits and `/`, `-`, `.` as separators, with or
 * without zero padding. Returns {jdn, y, m, d, time|null} or null when the
 * text is not a valid date.
 */
export function parseValue(cal, str, withTime) {
  const s = toLatinDigits(String(str || '')).trim();
  if (!s) return null;
  const m = s.match(
    /^(\d{1,4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:[\sT]+(\d{1,2}\s*[:٫.]\s*\d{1,2}))?$/,
  );
  if (!m) return null;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  if (!cal.isValid(y, mo, d)) return null;
  let time = null;
  if (m[4]) {
    if (!withTime) return null;
    time = parseTime(m[4]);
    if (!time) return null;
  }
  return { jdn: cal.toJdn(y, mo, d), y, m: mo, d, time };
}
