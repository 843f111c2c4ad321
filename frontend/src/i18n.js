// Language, direction and calendar names for fa / en / uk.
import { localDigits } from './calendar.js';

export const LANGS = ['fa', 'en', 'uk'];

const INTL_LOCALE = { fa: 'fa-IR', en: 'en-US', uk: 'uk-UA' };

/** `<html lang>` reduced to fa | en | uk (anything unknown → en). */
export function pageLang(doc = document) {
  const raw = (doc.documentElement.getAttribute('lang') || 'en').toLowerCase();
  const base = raw.split(/[-_]/)[0];
  return LANGS.includes(base) ? base : 'en';
}

export function normLang(lang) {
  const base = String(lang || '').toLowerCase().split(/[-_]/)[0];
  return LANGS.includes(base) ? base : pageLang();
}

export const isRtl = (lang) => lang === 'fa';

/** Default calendar of a language, overridable with `<html data-calendar>`. */
export function defaultCalendar(lang, doc = document) {
  const attr = doc.documentElement.getAttribute('data-calendar');
  if (attr === 'jalali' || attr === 'gregorian') return attr;
  return lang === 'fa' ? 'jalali' : 'gregorian';
}

// Static Jalali month names: deterministic everywhere, and the fallback when a
// browser's Intl lacks the persian calendar.
const JALALI_MONTHS = {
  fa: ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور', 'مهر', 'آبان', 'آذر', 'دی', 'بهمن', 'اسفند'],
  en: ['Farvardin', 'Ordibehesht', 'Khordad', 'Tir', 'Mordad', 'Shahrivar', 'Mehr', 'Aban', 'Azar', 'Dey', 'Bahman', 'Esfand'],
  uk: ['фарвардін', 'ордібехешт', 'хордад', 'тір', 'мордад', 'шахрівер', 'мехр', 'абан', 'азер', 'дей', 'бахман', 'есфанд'],
};

const GREGORIAN_MONTHS_FALLBACK = {
  fa: ['ژانویه', 'فوریه', 'مارس', 'آوریل', 'مه', 'ژوئن', 'ژوئیه', 'اوت', 'سپتامبر', 'اکتبر', 'نوامبر', 'دسامبر'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  uk: ['січень', 'лютий', 'березень', 'квітень', 'травень', 'червень', 'липень', 'серпень', 'вересень', 'жовтень', 'листопад', 'грудень'],
};

// Index 0 = Sunday … 6 = Saturday.
const WEEKDAYS_FALLBACK = {
  fa: { short: ['ی', 'د', 'س', 'چ', 'پ', 'ج', 'ش'], long: ['یکشنبه', 'دوشنبه', 'سه‌شنبه', 'چهارشنبه', 'پنجشنبه', 'جمعه', 'شنبه'] },
  en: { short: ['Su', 'Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa'], long: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] },
  uk: { short: ['нд', 'пн', 'вт', 'ср', 'чт', 'пт', 'сб'], long: ['неділя', 'понеділок', 'вівторок', 'середа', 'четвер', 'пʼятниця', 'субота'] },
};

const cache = new Map();
function memo(key, fn) {
  if (!cache.has(key)) cache.set(key, fn());
  return cache.get(key);
}

function intlOrNull(fn) {
  try {
    return fn();
  } catch {
    return null;
  }
}

/** Twelve month names of `calendar` in `lang`, January/Farvardin first. */
export function monthNames(calendar, lang) {
  return memo(`m:${calendar}:${lang}`, () => {
    if (calendar === 'jalali') return JALALI_MONTHS[lang] || JALALI_MONTHS.en;
    const names = intlOrNull(() => {
      const fmt = new Intl.DateTimeFormat(`${INTL_LOCALE[lang]}-u-ca-gregory`, {
        month: 'long',
        timeZone: 'UTC',
      });
      return Array.from({ length: 12 }, (_, i) => fmt.format(new Date(Date.UTC(2024, i, 15))));
    });
    return names || GREGORIAN_MONTHS_FALLBACK[lang];
  });
}

/** Weekday names, index 0 = Sunday. `style`: 'short' (grid header) or 'long'. */
export function weekdayNames(lang, style = 'short') {
  return memo(`w:${lang}:${style}`, () => {
    const intlStyle = style === 'long' ? 'long' : lang === 'fa' ? 'narrow' : 'short';
    const names = intlOrNull(() => {
      const fmt = new Intl.DateTimeFormat(INTL_LOCALE[lang], { weekday: intlStyle, timeZone: 'UTC' });
      // 2024-01-07 was a Sunday.
      return Array.from({ length: 7 }, (_, i) => fmt.format(new Date(Date.UTC(2024, 0, 7 + i))));
    });
    return names || WEEKDAYS_FALLBACK[lang][style === 'long' ? 'long' : 'short'];
  });
}

/**
 * First day of the week (0 = Sunday): Saturday for the Jalali calendar and for
 * Persian, Sunday for English, Monday for Ukrainian.
 */
export function weekStart(calendar, lang) {
  if (calendar === 'jalali' || lang === 'fa') return 6;
  return lang === 'uk' ? 1 : 0;
}

/** Weekend days (0 = Sunday): Friday in Iran, Saturday + Sunday otherwise. */
export function weekendDays(calendar, lang) {
  if (calendar === 'jalali' || lang === 'fa') return [5];
  return [0, 6];
}

const LABELS = {
  fa: {
    open: 'باز کردن تقویم',
    dialog: 'انتخاب تاریخ',
    prev: 'ماه قبل',
    next: 'ماه بعد',
    today: 'امروز',
    time: 'ساعت',
    ok: 'تأیید',
    clear: 'پاک کردن',
    close: 'بستن',
    notification: 'اعلان',
    now: 'اکنون',
    failed: 'انجام نشد',
    offline: 'ارتباط با سرور برقرار نشد',
  },
  en: {
    open: 'Open calendar',
    dialog: 'Choose date',
    prev: 'Previous month',
    next: 'Next month',
    today: 'Today',
    time: 'Time',
    ok: 'OK',
    clear: 'Clear',
    close: 'Close',
    notification: 'Notification',
    now: 'now',
    failed: 'That did not work',
    offline: 'The server could not be reached',
  },
  uk: {
    open: 'Відкрити календар',
    dialog: 'Оберіть дату',
    prev: 'Попередній місяць',
    next: 'Наступний місяць',
    today: 'Сьогодні',
    time: 'Час',
    ok: 'Гаразд',
    clear: 'Очистити',
    close: 'Закрити',
    notification: 'Сповіщення',
    now: 'щойно',
    failed: 'Не вдалося',
    offline: 'Сервер недоступний',
  },
};

export function t(lang, key) {
  return (LABELS[lang] || LABELS.en)[key] || LABELS.en[key] || key;
}

/** "مرداد ۱۴۰۳" / "August 2024" for a calendar month. */
export function monthTitle(calendarName, lang, y, m) {
  const name = monthNames(calendarName, lang)[m - 1];
  const title = name.charAt(0).toLocaleUpperCase(lang) + name.slice(1);
  return `${title} ${localDigits(y, lang)}`;
}
