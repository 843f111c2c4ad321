// Dashboard widget ordering.
//
//   <div data-sortable-url="/dashboard/order/">
//     <div class="card" data-widget-key="tasks"><span class="widget-handle">⋮⋮</span>…</div>
//     <div class="card" data-widget-key="deals">…</div>
//   </div>
//
// After a drag that changed the order, POSTs `order=tasks,deals,…`
// (application/x-www-form-urlencoded, X-CSRFToken header) to data-sortable-url.
// On failure the previous order is restored and `crm:sort-error` is dispatched
// on the container; on success `crm:sorted` (detail: {order}).
import Sortable from 'sortablejs';
import { csrfToken } from './csrf.js';

const bound = new WeakSet();

function keys(container) {
  return Array.from(container.children)
    .filter((c) => c.hasAttribute('data-widget-key'))
    .map((c) => c.getAttribute('data-widget-key'));
}

function restore(container, order) {
  const byKey = new Map(
    Array.from(container.children)
      .filter((c) => c.hasAttribute('data-widget-key'))
      .map((c) => [c.getAttribute('data-widget-key'), c]),
  );
  for (const key of order) {
    const node = byKey.get(key);
    if (node) container.append(node);
  }
}

export async function saveOrder(url, order) {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
      'X-CSRFToken': csrfToken(),
      'X-Requested-With': 'XMLHttpRequest',
    },
    body: new URLSearchParams({ order: order.join(',') }).toString(),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res;
}

export function initSortables(root = document) {
  const containers = [];
  if (root.matches && root.matches('[data-sortable-url]')) containers.push(root);
  if (root.querySelectorAll) containers.push(...root.querySelectorAll('[data-sortable-url]'));
  for (const container of containers) {
    if (bound.has(container)) continue;
    bound.add(container);
    let before = keys(container);
    const sortable = Sortable.create(container, {
      handle: '.widget-handle',
      draggable: '[data-widget-key]',
      animation: 150,
      ghostClass: 'widget-ghost',
      chosenClass: 'widget-chosen',
      onStart() {
        before = keys(container);
      },
      onEnd() {
        const order = keys(container);
        if (order.join(',') === before.join(',')) return;
        const url = container.getAttribute('data-sortable-url');
        container.setAttribute('aria-busy', 'true');
        saveOrder(url, order)
          .then(() => {
            container.dispatchEvent(new CustomEvent('crm:sorted', { bubbles: true, detail: { order } }));
          })
          .catch((error) => {
            restore(container, before);
            container.dispatchEvent(
              new CustomEvent('crm:sort-error', { bubbles: true, detail: { order, error } }),
            );
          })
          .finally(() => container.removeAttribute('aria-busy'));
      },
    });
    // SortableJS assumes left-to-right rows: in an RTL grid its "past the last
    // item" test fires over every item to the right of the last one and nothing
    // moves (SortableJS issues #1447, #2282). Treating the layout as vertical
    // there makes it insert by DOM index, which is direction-agnostic.
    const autoDirection = sortable.options.direction;
    sortable.option('direction', function direction(...args) {
      if (getComputedStyle(container).direction === 'rtl') return 'vertical';
      return typeof autoDirection === 'function' ? autoDirection.apply(this, args) : autoDirection;
    });
  }
}
