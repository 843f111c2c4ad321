// Jalali / Gregorian date (and date-time) picker. No jQuery, no eval, no inline
// handlers: safe under a strict CSP.
//
// Contract (see README.md):
//   <input type="text" name="due" data-datepicker="date|datetime"
//          data-calendar="jalali|gregorian" value="1403/05/12">
// Optional: data-lang="fa|en|uk" (default: <html lang>), data-default-time="HH:MM"
// (datetime only, default 09:00).
//
// The input stays a free-typing text field: its value is what gets submitted.
// The picker writes Latin digits (`1403/05/12`, `1403/05/12 14:30`,
// `2024-08-02`, `2024-08-02 14:30`) and, on change, tidies a valid typed value
// (Persian digits → Latin, zero padding). Invalid text is left alone for the
// server to reject.
import {
  getCalendar,
  formatValue,
  parseValue,
  parseTime,
  todayJdn,
  weekday,
  addMonths,
  localDigits,
  pad2,
} from './calendar.js';
import {
  pageLang,
  normLang,
  isRtl,
  defaultCalendar,
  monthNames,
  monthTitle,
  weekdayNames,
  weekStart,
  weekendDays,
  t,
} from './i18n.js';

const instances = new WeakMap();
let openPicker = null;
let uid = 0;

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) node.append(c);
  return node;
}

function icon(name) {
  return el('i', { class: `bi ${name}`, 'aria-hidden': 'true' });
}

class DatePicker {
  constructor(input) {
    this.input = input;
    this.withTime = input.dataset.datepicker === 'datetime';
    this.id = `crm-dp-${++uid}`;
    this.popup = null;
    input.setAttribute('autocomplete', 'off');
    if (!input.getAttribute('placeholder')) input.setAttribute('placeholder', this.placeholder());
    // Dates and times are LTR runs even inside RTL text.
    if (!input.hasAttribute('dir')) input.setAttribute('dir', 'ltr');
    this.buildToggle();

    input.addEventListener('keydown', (e) => this.onInputKeydown(e));
    input.addEventListener('input', () => this.syncFromInput());
    input.addEventListener('change', () => this.normalizeInput());
  }

  get lang() {
    return normLang(this.input.dataset.lang || pageLang());
  }

  get cal() {
    return getCalendar(this.input.dataset.calendar || defaultCalendar(this.lang));
  }

  placeholder() {
    const date = this.cal.name === 'jalali' ? 'YYYY/MM/DD' : 'YYYY-MM-DD';
    return this.withTime ? `${date} HH:MM` : date;
  }

  buildToggle() {
    const input = this.input;
    let group = input.parentElement && input.parentElement.classList.contains('input-group')
      ? input.parentElement
      : null;
    if (!group) {
      group = el('div', { class: 'input-group crm-dp-group' });
      if (input.classList.contains('form-control-sm')) group.classList.add('input-group-sm');
      if (input.classList.contains('form-control-lg')) group.classList.add('input-group-lg');
      input.before(group);
      group.append(input);
    }
    if (input.classList.contains('is-invalid')) group.classList.add('has-validation');
    if (!input.classList.contains('form-control')) input.classList.add('form-control');
    this.group = group;

    const label = t(this.lang, 'open');
    this.toggle = el(
      'button',
      {
        type: 'button',
        class: 'btn btn-outline-secondary crm-dp-toggle',
        'aria-label': label,
        title: label,
        'aria-haspopup': 'dialog',
        'aria-expanded': 'false',
        'aria-controls': this.id,
        disabled: input.disabled || input.readOnly,
      },
      [icon('bi-calendar3')],
    );
    // Keep Bootstrap's invalid-feedback sibling right after the group.
    input.after(this.toggle);
    this.toggle.addEventListener('click', () => (this.popup ? this.close(true) : this.open(true)));
  }

  // ---- state --------------------------------------------------------------

  parsed() {
    return parseValue(this.cal, this.input.value, this.withTime);
  }

  currentTime() {
    const p = this.parsed();
    if (p && p.time) return p.time;
    return parseTime(this.input.dataset.defaultTime) || { h: 9, min: 0 };
  }

  // ---- open / close -------------------------------------------------------

  open(focusGrid) {
    if (this.input.disabled || this.input.readOnly) return;
    if (openPicker && openPicker !== this) openPicker.close(false);
    openPicker = this;

    const cal = this.cal;
    const p = this.parsed();
    const today = todayJdn();
    this.selected = p ? p.jdn : null;
    this.focusJdn = p ? p.jdn : today;
    const ymd = cal.fromJdn(this.focusJdn);
    this.view = { y: ymd.y, m: ymd.m };

    this.buildPopup();
    this.render();
    this.position();
    this.toggle.setAttribute('aria-expanded', 'true');

    this._onDocPointer = (e) => {
      if (!this.popup) return;
      if (this.popup.contains(e.target) || this.group.contains(e.target)) return;
      this.close(false);
    };
    this._onReposition = () => this.position();
    document.addEventListener('pointerdown', this._onDocPointer, true);
    window.addEventListener('resize', this._onReposition);
    window.addEventListener('scroll', this._onReposition, true);

    if (focusGrid) this.focusDay();
  }

  close(returnFocus) {
    if (!this.popup) return;
    document.removeEventListener('pointerdown', this._onDocPointer, true);
    window.removeEventListener('resize', this._onReposition);
    window.removeEventListener('scroll', this._onReposition, true);
    this.popup.remove();
    this.popup = null;
    if (openPicker === this) openPicker = null;
    this.toggle.setAttribute('aria-expanded', 'false');
    if (returnFocus && this.input.isConnected) this.input.focus();
  }

  buildPopup() {
    const lang = this.lang;
    const rtl = isRtl(lang);
    const nav = (cls, label, iconName) =>
      el('button', { type: 'button', class: `crm-dp-nav ${cls}`, 'aria-label': label, title: label }, [
        icon(iconName),
      ]);
    // In RTL "previous" sits on the right and points right.
    const back = rtl ? 'bi-chevron-right' : 'bi-chevron-left';
    const fwd = rtl ? 'bi-chevron-left' : 'bi-chevron-right';
    const back2 = rtl ? 'bi-chevron-double-right' : 'bi-chevron-double-left';
    const fwd2 = rtl ? 'bi-chevron-double-left' : 'bi-chevron-double-right';

    this.title = el('div', { class: 'crm-dp-title', 'aria-live': 'polite', id: `${this.id}-title` });
    const header = el('div', { class: 'crm-dp-header' }, [
      nav('crm-dp-prev-year', `${t(lang, 'prev')} ×12`, back2),
      nav('crm-dp-prev', t(lang, 'prev'), back),
      this.title,
      nav('crm-dp-next', t(lang, 'next'), fwd),
      nav('crm-dp-next-year', `${t(lang, 'next')} ×12`, fwd2),
    ]);
    header.querySelector('.crm-dp-prev-year').addEventListener('click', () => this.shiftView(-12));
    header.querySelector('.crm-dp-prev').addEventListener('click', () => this.shiftView(-1));
    header.querySelector('.crm-dp-next').addEventListener('click', () => this.shiftView(1));
    header.querySelector('.crm-dp-next-year').addEventListener('click', () => this.shiftView(12));

    this.grid = el('div', { class: 'crm-dp-grid', role: 'grid', 'aria-labelledby': `${this.id}-title` });
    this.grid.addEventListener('click', (e) => {
      const btn = e.target.closest('.crm-dp-day');
      if (btn) this.pick(+btn.dataset.jdn);
    });
    this.grid.addEventListener('keydown', (e) => this.onGridKeydown(e));

    const todayBtn = el('button', { type: 'button', class: 'btn btn-sm btn-outline-primary crm-dp-today', text: t(lang, 'today') });
    todayBtn.addEventListener('click', () => this.pick(todayJdn()));
    const footer = el('div', { class: 'crm-dp-footer' }, [todayBtn]);

    const parts = [header, this.grid];
    if (this.withTime) {
      const tm = this.currentTime();
      this.timeInput = el('input', {
        type: 'text',
        class: 'form-control form-control-sm crm-dp-time-input',
        id: `${this.id}-time`,
        dir: 'ltr',
        inputmode: 'numeric',
        autocomplete: 'off',
        maxlength: '5',
        placeholder: 'HH:MM',
        value: `${pad2(tm.h)}:${pad2(tm.min)}`,
      });
      this.timeInput.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          this.applyTime(true);
        } else if (e.key === 'Escape') {
          e.preventDefault();
          this.close(true);
        }
      });
      this.timeInput.addEventListener('change', () => this.applyTime(false));
      const timeRow = el('div', { class: 'crm-dp-time' }, [
        el('label', { for: `${this.id}-time`, class: 'crm-dp-time-label', text: t(lang, 'time') }),
        this.timeInput,
      ]);
      parts.push(timeRow);
      const ok = el('button', { type: 'button', class: 'btn btn-sm btn-primary crm-dp-ok', text: t(lang, 'ok') });
      ok.addEventListener('click', () => this.applyTime(true));
      footer.append(ok);
    }
    parts.push(footer);

    this.popup = el(
      'div',
      {
        class: 'crm-dp card shadow',
        id: this.id,
        role: 'dialog',
        'aria-modal': 'false',
        'aria-label': t(lang, 'dialog'),
        dir: rtl ? 'rtl' : 'ltr',
        lang,
        'data-calendar': this.cal.name,
      },
      parts,
    );
    this.popup.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation(); // don't close a surrounding Bootstrap modal
        this.close(true);
      }
    });
    this.popup.addEventListener('focusout', (e) => {
      const to = e.relatedTarget;
      if (!to || !this.popup) return; // clicks on non-focusable parts
      if (this.popup.contains(to) || this.group.contains(to)) return;
      this.close(false);
    });
    // Inside a Bootstrap modal the popup must live in the modal, or the modal's
    // focus trap pulls focus back out of it.
    (this.input.closest('.modal') || document.body).append(this.popup);
  }

  // ---- rendering ----------------------------------------------------------

  render() {
    const cal = this.cal;
    const lang = this.lang;
    const ws = weekStart(cal.name, lang);
    const weekend = weekendDays(cal.name, lang);
    const shortNames = weekdayNames(lang, 'short');
    const longNames = weekdayNames(lang, 'long');
    const months = monthNames(cal.name, lang);
    const today = todayJdn();
    const { y, m } = this.view;

    this.title.textContent = monthTitle(cal.name, lang, y, m);

    const first = cal.toJdn(y, m, 1);
    const start = first - ((weekday(first) - ws + 7) % 7);
    // Keep the roving focus inside the visible month.
    const last = first + cal.monthLength(y, m) - 1;
    if (this.focusJdn < first || this.focusJdn > last) {
      this.focusJdn = this.selected >= first && this.selected <= last ? this.selected : first;
      if (today >= first && today <= last && !(this.selected >= first && this.selected <= last)) {
        this.focusJdn = today;
      }
    }

    const rows = [];
    const head = el('div', { class: 'crm-dp-row crm-dp-weekdays', role: 'row' });
    for (let i = 0; i < 7; i++) {
      const wd = (ws + i) % 7;
      head.append(
        el('span', {
          class: `crm-dp-weekday${weekend.includes(wd) ? ' is-weekend' : ''}`,
          role: 'columnheader',
          title: longNames[wd],
          'aria-label': longNames[wd],
          text: shortNames[wd],
        }),
      );
    }
    rows.push(head);

    for (let r = 0; r < 6; r++) {
      const row = el('div', { class: 'crm-dp-row', role: 'row' });
      for (let c = 0; c < 7; c++) {
        const jdn = start + r * 7 + c;
        const d = cal.fromJdn(jdn);
        const wd = weekday(jdn);
        const cls = ['crm-dp-day'];
        if (d.m !== m) cls.push('is-outside');
        if (weekend.includes(wd)) cls.push('is-weekend');
        if (jdn === today) cls.push('is-today');
        if (jdn === this.selected) cls.push('is-selected');
        const label = `${longNames[wd]} ${localDigits(d.d, lang)} ${months[d.m - 1]} ${localDigits(d.y, lang)}`;
        row.append(
          el('button', {
            type: 'button',
            class: cls.join(' '),
            role: 'gridcell',
            tabindex: jdn === this.focusJdn ? '0' : '-1',
            'data-jdn': String(jdn),
            'aria-label': label,
            'aria-selected': jdn === this.selected ? 'true' : 'false',
            'aria-current': jdn === today ? 'date' : null,
            text: localDigits(d.d, lang),
          }),
        );
      }
      rows.push(row);
    }
    this.grid.replaceChildren(...rows);
  }

  focusDay() {
    const btn = this.grid && this.grid.querySelector(`[data-jdn="${this.focusJdn}"]`);
    if (btn) btn.focus();
  }

  shiftView(deltaMonths) {
    const cal = this.cal;
    const cur = cal.fromJdn(this.focusJdn);
    const { y, m } = addMonths(this.view.y, this.view.m, deltaMonths);
    this.view = { y, m };
    // Keep the same day of month where possible (31 → 30/29…).
    this.focusJdn = cal.toJdn(y, m, Math.min(cur.d, cal.monthLength(y, m)));
    const hadFocus = this.popup.contains(document.activeElement) &&
      document.activeElement.classList.contains('crm-dp-day');
    this.render();
    this.position();
    if (hadFocus) this.focusDay();
  }

  moveFocus(jdn) {
    const cal = this.cal;
    const d = cal.fromJdn(jdn);
    this.focusJdn = jdn;
    if (d.y !== this.view.y || d.m !== this.view.m) {
      this.view = { y: d.y, m: d.m };
      this.render();
      this.position();
    } else {
      for (const b of this.grid.querySelectorAll('.crm-dp-day')) {
        b.tabIndex = +b.dataset.jdn === jdn ? 0 : -1;
      }
    }
    this.focusDay();
  }

  position() {
    if (!this.popup) return;
    if (!this.input.isConnected) {
      this.close(false);
      return;
    }
    const r = this.group.getBoundingClientRect();
    const p = this.popup;
    const vw = document.documentElement.clientWidth;
    const vh = window.innerHeight;
    const pw = p.offsetWidth;
    const ph = p.offsetHeight;
    let top = r.bottom + 4;
    if (top + ph > vh - 4 && r.top - ph - 4 >= 4) top = r.top - ph - 4;
    // Align with the input's start edge (right edge in RTL).
    let left = p.dir === 'rtl' ? r.right - pw : r.left;
    left = Math.max(4, Math.min(left, vw - pw - 4));
    p.style.top = `${Math.round(top)}px`;
    p.style.left = `${Math.round(left)}px`;
  }

  // ---- actions ------------------------------------------------------------

  setValue(value) {
    if (this.input.value === value) return;
    this.input.value = value;
    this.input.dispatchEvent(new Event('input', { bubbles: true }));
    this.input.dispatchEvent(new Event('change', { bubbles: true }));
  }

  pick(jdn) {
    const cal = this.cal;
    const ymd = cal.fromJdn(jdn);
    this.selected = jdn;
    this.focusJdn = jdn;
    if (!this.withTime) {
      this.setValue(formatValue(cal, ymd));
      this.close(true);
      return;
    }
    const time = parseTime(this.timeInput.value) || this.currentTime();
    this.setValue(formatValue(cal, ymd, time));
    this.timeInput.value = `${pad2(time.h)}:${pad2(time.min)}`;
    if (ymd.y !== this.view.y || ymd.m !== this.view.m) this.view = { y: ymd.y, m: ymd.m };
    this.render();
    this.timeInput.focus();
    this.timeInput.select();
  }

  /** Datetime: write the popup's time into the value (picking today if no date yet). */
  applyTime(andClose) {
    const time = parseTime(this.timeInput.value);
    if (!time) {
      this.timeInput.classList.add('is-invalid');
      return;
    }
    this.timeInput.classList.remove('is-invalid');
    this.timeInput.value = `${pad2(time.h)}:${pad2(time.min)}`;
    const jdn = this.selected != null ? this.selected : this.focusJdn;
    this.selected = jdn;
    this.setValue(formatValue(this.cal, this.cal.fromJdn(jdn), time));
    if (andClose) this.close(true);
    else this.render();
  }

  // ---- keyboard -----------------------------------------------------------

  onInputKeydown(e) {
    if (e.key === 'ArrowDown' && (e.altKey || !this.popup)) {
      e.preventDefault();
      this.open(true);
    } else if (e.key === 'Escape' && this.popup) {
      e.preventDefault();
      e.stopPropagation();
      this.close(false);
    }
  }

  onGridKeydown(e) {
    const btn = e.target.closest('.crm-dp-day');
    if (!btn) return;
    const jdn = +btn.dataset.jdn;
    const rtl = this.popup.dir === 'rtl';
    const cal = this.cal;
    const d = cal.fromJdn(jdn);
    const ws = weekStart(cal.name, this.lang);
    let target = null;
    switch (e.key) {
      case 'ArrowRight':
        target = jdn + (rtl ? -1 : 1);
        break;
      case 'ArrowLeft':
        target = jdn + (rtl ? 1 : -1);
        break;
      case 'ArrowUp':
        target = jdn - 7;
        break;
      case 'ArrowDown':
        target = jdn + 7;
        break;
      case 'Home':
        target = jdn - ((weekday(jdn) - ws + 7) % 7);
        break;
      case 'End':
        target = jdn + 6 - ((weekday(jdn) - ws + 7) % 7);
        break;
      case 'PageUp':
      case 'PageDown': {
        const delta = (e.key === 'PageUp' ? -1 : 1) * (e.shiftKey ? 12 : 1);
        const nm = addMonths(d.y, d.m, delta);
        target = cal.toJdn(nm.y, nm.m, Math.min(d.d, cal.monthLength(nm.y, nm.m)));
        break;
      }
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.pick(jdn);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.moveFocus(target);
  }

  // ---- typing -------------------------------------------------------------

  syncFromInput() {
    if (!this.popup) return;
    const p = this.parsed();
    if (!p) return;
    this.selected = p.jdn;
    this.focusJdn = p.jdn;
    this.view = { y: p.y, m: p.m };
    if (this.timeInput && p.time) this.timeInput.value = `${pad2(p.time.h)}:${pad2(p.time.min)}`;
    this.render();
  }

  normalizeInput() {
    const p = this.parsed();
    if (!p) return;
    if (this.withTime && !p.time) return; // leave a date without time for the server to judge
    const tidy = formatValue(this.cal, p, p.time);
    if (tidy !== this.input.value) this.input.value = tidy;
  }
}

/** Enhance every `input[data-datepicker]` in `root` (idempotent). */
export function initDatepickers(root = document) {
  const inputs = [];
  if (root.matches && root.matches('input[data-datepicker]')) inputs.push(root);
  if (root.querySelectorAll) inputs.push(...root.querySelectorAll('input[data-datepicker]'));
  for (const input of inputs) {
    if (instances.has(input)) continue;
    instances.set(input, new DatePicker(input));
  }
}

/** The picker instance of an input (for tests and integrations). */
export function getDatepicker(input) {
  return instances.get(input) || null;
}

/** Close whatever picker is open (e.g. before an htmx swap). */
/** Close the open picker when `root` (the part of the page about to be replaced) holds
 * its input; a swap elsewhere (e.g. the free/busy panel refreshing because the date just
 * changed) leaves it open. Without a root, close it whatever happens. */
export function closeDatepickers(root = null) {
  if (!openPicker) return;
  if (root && typeof root.contains === 'function' && !root.contains(openPicker.input)) return;
  openPicker.close(false);
}
