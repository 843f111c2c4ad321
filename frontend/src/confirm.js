// `<button data-confirm="Delete this contact?">` (or `<a data-confirm>`, or
// `<form data-confirm>`): asks window.confirm() first; "Cancel" stops the form
// submission, link navigation and any htmx request bound to the element.
// Listens in the capture phase on document, so it runs before htmx's handlers.
let installed = false;

export function installConfirm(doc = document) {
  if (installed) return;
  installed = true;
  doc.addEventListener(
    'click',
    (e) => {
      const trigger = e.target instanceof Element &&
        e.target.closest('button[data-confirm], a[data-confirm], input[data-confirm]');
      if (!trigger || trigger.disabled) return;
      const message = trigger.getAttribute('data-confirm');
      if (!message) return;
      if (!window.confirm(message)) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    },
    true,
  );
  doc.addEventListener(
    'submit',
    (e) => {
      const form = e.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-confirm')) return;
      // A submit button with its own data-confirm has already asked.
      if (e.submitter && e.submitter.hasAttribute('data-confirm')) return;
      if (!window.confirm(form.getAttribute('data-confirm'))) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    },
    true,
  );
}
