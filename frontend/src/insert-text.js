// Placeholder buttons of the message template editor (and any other picker):
//   <button type="button" data-insert="{{ identity.first_name }}" data-insert-target="#id_body">
// puts the text at the cursor of the target field (or of the last text field the user
// was typing in, when no target is named), then gives the field the focus back.
// One delegated listener: works for htmx-swapped pickers too.

let lastField = null;

function isTextField(el) {
  return el && (el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && /^(text|search|email|url|tel|)$/.test(el.type)));
}

export function insertAtCursor(field, text) {
  const start = typeof field.selectionStart === 'number' ? field.selectionStart : field.value.length;
  const end = typeof field.selectionEnd === 'number' ? field.selectionEnd : start;
  field.value = field.value.slice(0, start) + text + field.value.slice(end);
  const caret = start + text.length;
  field.focus();
  if (field.setSelectionRange) field.setSelectionRange(caret, caret);
  field.dispatchEvent(new Event('input', { bubbles: true }));
  field.dispatchEvent(new Event('change', { bubbles: true }));
}

let installed = false;

export function installInsertText() {
  if (installed) return;
  installed = true;
  document.addEventListener('focusin', (event) => {
    if (isTextField(event.target)) lastField = event.target;
  });
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('[data-insert]');
    if (!button) return;
    event.preventDefault();
    const selector = button.getAttribute('data-insert-target');
    const field = (selector && document.querySelector(selector)) || lastField;
    if (!isTextField(field)) return;
    insertAtCursor(field, button.getAttribute('data-insert') || '');
  });
}

installInsertText();
