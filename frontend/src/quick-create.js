// Quick create (AC-10): Alt+N opens the top bar's "+ New" menu from anywhere.
//
// The key is matched by its position (KeyN), not by the character, so it works the
// same with a Persian or Ukrainian keyboard layout (where that key types "د" / "т").
// Alt+Shift is left alone: it switches the keyboard layout on many systems.
import { Dropdown } from 'bootstrap';

export function installQuickCreate(doc = document) {
  doc.addEventListener('keydown', (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey || e.code !== 'KeyN' || e.repeat) return;
    const toggle = doc.getElementById('crm-quick-create-toggle');
    if (!toggle || toggle.disabled) return;
    e.preventDefault();
    const dropdown = Dropdown.getOrCreateInstance(toggle);
    dropdown.show();
    const first = doc.querySelector('#crm-quick-create .dropdown-menu a.dropdown-item');
    if (first) first.focus();
  });
}
