// @mention picker for comment boxes (AC-8).
//
//   <div class="crm-mention-host">
//     <textarea name="body" data-mention-url="/mentions/suggest/"></textarea>
//   </div>
//
// Typing "@" followed by letters asks GET <data-mention-url>?q=<letters>
// (-> {"results": [{"token", "label", "kind": "user"|"department"}]}) and shows a
// list under the box; ↑/↓ move, Enter or Tab pick, Esc closes; a click picks too.
// Picking replaces "@letters" with "@token ". Without JavaScript the box is a
// plain textarea and "@username" typed by hand works the same.
import { pageLang } from './i18n.js';

const TOKEN_BEFORE_CARET = /(?:^|[^\p{L}\p{N}_@])@([\p{L}\p{N}_.-]{0,40})$/u;
const NOBODY = { fa: 'کسی پیدا نشد', en: 'Nobody found', uk: 'Нікого не знайдено' };
const DEPARTMENT = { fa: 'واحد', en: 'department', uk: 'відділ' };
let counter = 0;

export function initMentionPickers(root = document) {
  const scope = root && root.querySelectorAll ? root : document;
  const boxes = [];
  if (scope.matches && scope.matches('textarea[data-mention-url]')) boxes.push(scope);
  boxes.push(...scope.querySelectorAll('textarea[data-mention-url]'));
  for (const box of boxes) {
    if (!box.dataset.mentionReady) enhance(box);
  }
}

function enhance(box) {
  box.dataset.mentionReady = '1';
  const doc = box.ownerDocument;
  const host = box.closest('.crm-mention-host') || box.parentElement;
  host.classList.add('crm-mention-host');
  const list = doc.createElement('ul');
  counter += 1;
  list.id = `crm-mention-list-${counter}`;
  list.className = 'dropdown-menu crm-mention-menu';
  list.setAttribute('role', 'listbox');
  host.append(list);
  box.setAttribute('aria-autocomplete', 'list');
  box.setAttribute('aria-controls', list.id);
  box.setAttribute('aria-expanded', 'false');

  let results = [];
  let active = -1;
  let timer = null;
  let query = null;
  let controller = null;

  function close() {
    list.classList.remove('show');
    list.replaceChildren();
    box.setAttribute('aria-expanded', 'false');
    box.removeAttribute('aria-activedescendant');
    results = [];
    active = -1;
    query = null;
  }

  function currentToken() {
    if (box.selectionStart !== box.selectionEnd) return null;
    const before = box.value.slice(0, box.selectionStart);
    const m = before.match(TOKEN_BEFORE_CARET);
    return m ? { prefix: m[1], start: box.selectionStart - m[1].length - 1 } : null;
  }

  function render() {
    const lang = pageLang(doc);
    list.replaceChildren();
    if (!results.length) {
      const li = doc.createElement('li');
      li.className = 'dropdown-item-text small text-muted';
      li.textContent = NOBODY[lang] || NOBODY.en;
      list.append(li);
    }
    results.forEach((row, i) => {
      const li = doc.createElement('li');
      li.id = `${list.id}-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', i === active ? 'true' : 'false');
      li.className = `dropdown-item d-flex align-items-center gap-2${i === active ? ' active' : ''}`;
      const icon = doc.createElement('i');
      icon.className = `bi ${row.kind === 'department' ? 'bi-diagram-3' : 'bi-person'}`;
      icon.setAttribute('aria-hidden', 'true');
      const label = doc.createElement('span');
      label.textContent = row.label;
      const token = doc.createElement('span');
      token.className = 'small opacity-75 ltr';
      token.textContent = `@${row.token}`;
      li.append(icon, label, token);
      if (row.kind === 'department') {
        const kind = doc.createElement('span');
        kind.className = 'badge text-bg-light border ms-auto';
        kind.textContent = DEPARTMENT[lang] || DEPARTMENT.en;
        li.append(kind);
      }
      li.addEventListener('mousedown', (e) => {
        e.preventDefault(); // keep the focus in the box
        pick(i);
      });
      list.append(li);
    });
    list.classList.add('show');
    box.setAttribute('aria-expanded', 'true');
    if (active >= 0) box.setAttribute('aria-activedescendant', `${list.id}-${active}`);
    else box.removeAttribute('aria-activedescendant');
  }

  async function lookup(prefix) {
    if (controller) controller.abort();
    controller = new AbortController();
    const url = new URL(box.dataset.mentionUrl, location.href);
    url.searchParams.set('q', prefix);
    try {
      const response = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        signal: controller.signal,
      });
      if (!response.ok) return;
      const data = await response.json();
      if (query !== prefix) return; // the user typed on
      results = Array.isArray(data.results) ? data.results : [];
      active = results.length ? 0 : -1;
      render();
    } catch {
      // aborted or offline: no list
    }
  }

  function update() {
    const token = currentToken();
    if (!token) {
      close();
      return;
    }
    if (token.prefix === query) return;
    query = token.prefix;
    clearTimeout(timer);
    timer = setTimeout(() => lookup(token.prefix), 150);
  }

  function pick(i) {
    const row = results[i];
    const token = currentToken();
    if (!row || !token) {
      close();
      return;
    }
    const insert = `@${row.token} `;
    const after = box.value.slice(box.selectionStart);
    box.value = box.value.slice(0, token.start) + insert + after.replace(/^ /, '');
    const caret = token.start + insert.length;
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event('input', { bubbles: true }));
    close();
    box.focus();
  }

  box.addEventListener('input', update);
  box.addEventListener('click', update);
  box.addEventListener('keyup', (e) => {
    if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) update();
  });
  box.addEventListener('keydown', (e) => {
    if (!list.classList.contains('show')) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!results.length) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      active = (active + step + results.length) % results.length;
      render();
    } else if ((e.key === 'Enter' || e.key === 'Tab') && active >= 0 && !e.shiftKey) {
      e.preventDefault();
      pick(active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });
  box.addEventListener('blur', () => setTimeout(close, 150));
}
