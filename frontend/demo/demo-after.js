// Demo only: runs after dist/crm.js.
(function () {
  const crm = window.crm;
  const lang = document.documentElement.lang;

  // Fields with data-demo-offset="N" get today + N days, so the screenshots
  // show "today" and "selected" in the same month.
  for (const input of document.querySelectorAll('[data-demo-offset]')) {
    const d = new Date();
    d.setDate(d.getDate() + Number(input.dataset.demoOffset));
    const iso = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    input.value = crm.toLatinDigits(crm.formatDate(iso, { calendar: input.dataset.calendar, lang: 'en', numeric: true }));
  }

  const out = document.getElementById('format-output');
  const samples = [
    ['2024-08-02T10:30:00Z', { withTime: true }],
    ['2024-08-02', {}],
    ['2025-03-20T20:00:00Z', { calendar: 'jalali', withTime: true }],
    ['2025-03-20T20:00:00Z', { calendar: 'gregorian', withTime: true }],
    ['2025-03-20T20:00:00Z', { calendar: 'jalali', numeric: true, timeZone: 'Asia/Tehran' }],
  ];
  for (const [iso, opts] of samples) {
    const li = document.createElement('li');
    li.className = 'list-group-item d-flex justify-content-between gap-2';
    const code = document.createElement('code');
    code.className = 'ltr small';
    code.textContent = iso;
    const val = document.createElement('span');
    val.textContent = crm.formatDate(iso, { lang, ...opts });
    li.append(val, code);
    out.append(li);
  }

  document.getElementById('demo-notify').addEventListener('click', () => {
    crm.notify({
      title: lang === 'fa' ? 'سرنخ جدید' : 'New lead',
      body: lang === 'fa' ? 'علی رضایی، پیگیری فردا ساعت ۱۰' : 'Ali Rezaei, follow up tomorrow at 10',
      url: '#lead-42',
    });
  });

  document.getElementById('demo-form').addEventListener('submit', (e) => e.preventDefault());

  const open = new URLSearchParams(location.search).get('open');
  if (open) {
    const input = document.getElementById(open);
    const picker = input && crm.getDatepicker(input);
    if (picker) picker.open(true);
  }
})();
