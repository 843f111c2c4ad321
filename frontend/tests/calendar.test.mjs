// Unit tests of the date logic (no browser): `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CALENDARS,
  parseValue,
  formatValue,
  parseTime,
  toLatinDigits,
  toPersianDigits,
  weekday,
  addMonths,
} from '../src/calendar.js';
import { formatDate } from '../src/format-date.js';
import { monthNames, monthTitle, weekStart, weekendDays } from '../src/i18n.js';

const J = CALENDARS.jalali;
const G = CALENDARS.gregorian;

test('digits', () => {
  assert.equal(toLatinDigits('۱۴۰۳/۰۵/۱۲ ٠٩:٣٠'), '1403/05/12 09:30');
  assert.equal(toPersianDigits('1403/05/12'), '۱۴۰۳/۰۵/۱۲');
});

test('jalali <-> gregorian through JDN', () => {
  const jdn = J.toJdn(1403, 1, 1);
  assert.deepEqual(G.fromJdn(jdn), { y: 2024, m: 3, d: 20 });
  assert.deepEqual(J.fromJdn(G.toJdn(2026, 11, 22)), { y: 1405, m: 9, d: 1 });
  // 2024-03-20 was a Wednesday, 2026-11-22 a Sunday.
  assert.equal(weekday(jdn), 3);
  assert.equal(weekday(G.toJdn(2026, 11, 22)), 0);
});

test('month lengths and leap years', () => {
  assert.equal(J.monthLength(1403, 12), 30); // 1403 is a leap year
  assert.equal(J.monthLength(1404, 12), 29);
  assert.equal(J.monthLength(1404, 1), 31);
  assert.equal(J.monthLength(1404, 7), 30);
  assert.equal(G.monthLength(2024, 2), 29);
  assert.equal(G.monthLength(2025, 2), 28);
});

test('parseValue accepts what people type', () => {
  assert.equal(parseValue(J, '۱۴۰۳/۵/۲', false).jdn, J.toJdn(1403, 5, 2));
  assert.equal(parseValue(J, '1403-05-02', false).jdn, J.toJdn(1403, 5, 2));
  assert.deepEqual(parseValue(J, '1403/05/02 9:5', true).time, { h: 9, min: 5 });
  assert.equal(parseValue(J, '1404/12/30', false), null); // not a leap year
  assert.equal(parseValue(J, '1403/05/02 10:00', false), null); // time in a date field
  assert.equal(parseValue(G, '2024-02-30', false), null);
  assert.equal(parseValue(G, 'tomorrow', false), null);
  assert.equal(parseValue(G, '', false), null);
});

test('formatValue writes the canonical Latin-digit value', () => {
  assert.equal(formatValue(J, { y: 1403, m: 5, d: 2 }), '1403/05/02');
  assert.equal(formatValue(J, { y: 1403, m: 5, d: 2 }, { h: 9, min: 5 }), '1403/05/02 09:05');
  assert.equal(formatValue(G, { y: 2024, m: 8, d: 2 }, { h: 14, min: 30 }), '2024-08-02 14:30');
});

test('parseTime', () => {
  assert.deepEqual(parseTime('۱۸:۴۵'), { h: 18, min: 45 });
  assert.deepEqual(parseTime('0930'), { h: 9, min: 30 });
  assert.deepEqual(parseTime('7'), { h: 7, min: 0 });
  assert.equal(parseTime('24:00'), null);
  assert.equal(parseTime('12:60'), null);
});

test('addMonths crosses years both ways', () => {
  assert.deepEqual(addMonths(1403, 12, 1), { y: 1404, m: 1 });
  assert.deepEqual(addMonths(1403, 1, -1), { y: 1402, m: 12 });
  assert.deepEqual(addMonths(1403, 6, -12), { y: 1402, m: 6 });
});

test('names and week layout', () => {
  assert.equal(monthNames('jalali', 'fa')[0], 'فروردین');
  assert.equal(monthNames('jalali', 'fa')[11], 'اسفند');
  assert.equal(monthNames('jalali', 'en')[8], 'Azar');
  assert.equal(monthTitle('jalali', 'fa', 1405, 9), 'آذر ۱۴۰۵');
  assert.equal(monthTitle('gregorian', 'uk', 2026, 11), 'Листопад 2026');
  assert.equal(weekStart('jalali', 'fa'), 6);
  assert.equal(weekStart('gregorian', 'en'), 0);
  assert.equal(weekStart('gregorian', 'uk'), 1);
  assert.deepEqual(weekendDays('jalali', 'fa'), [5]);
});

test('formatDate', () => {
  const iso = '2025-03-20T20:00:00Z'; // 23:30 in Tehran, the last day of 1403
  assert.equal(
    formatDate(iso, { calendar: 'jalali', lang: 'fa', withTime: true, timeZone: 'Asia/Tehran' }),
    '۳۰ اسفند ۱۴۰۳، ۲۳:۳۰',
  );
  assert.equal(
    formatDate(iso, { calendar: 'jalali', lang: 'en', numeric: true, timeZone: 'Asia/Tehran' }),
    '1403/12/30 23:30',
  );
  assert.equal(formatDate(iso, { calendar: 'jalali', lang: 'en', withTime: false, timeZone: 'UTC' }), 'Esfand 30, 1403');
  assert.equal(formatDate('2024-08-02', { calendar: 'gregorian', lang: 'en' }), 'Aug 2, 2024');
  assert.equal(formatDate('2024-08-02', { calendar: 'jalali', lang: 'uk' }), '12 мордад 1403');
  assert.equal(formatDate('not a date', { calendar: 'jalali', lang: 'en' }), 'not a date');
  assert.equal(formatDate('', { lang: 'en', calendar: 'gregorian' }), '');
});
