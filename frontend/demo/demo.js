// Demo only (loaded synchronously in <head>): language from ?lang=, the
// matching stylesheet, and translated labels.
(function () {
  const params = new URLSearchParams(location.search);
  const lang = ['fa', 'en', 'uk'].includes(params.get('lang')) ? params.get('lang') : 'fa';
  const rtl = lang === 'fa';
  document.documentElement.lang = lang;
  document.documentElement.dir = rtl ? 'rtl' : 'ltr';
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = `../dist/${rtl ? 'crm.rtl.css' : 'crm.css'}`;
  document.head.append(link);

  const T = {
    fa: {
      dashboard: 'داشبورد', contacts: 'مخاطبان', deals: 'معاملات', calendar: 'تقویم',
      title: 'نمونهٔ انتخابگر تاریخ', dates: 'تاریخ‌ها', jdate: 'تاریخ شمسی',
      jdatetime: 'تاریخ و ساعت شمسی', gdate: 'تاریخ میلادی', gdatetime: 'تاریخ و ساعت میلادی',
      save: 'ذخیره', notify: 'اعلان آزمایشی', format: 'crm.formatDate', phone: 'تلفن', widgets: 'ویجت‌ها',
    },
    en: {},
    uk: {
      dashboard: 'Панель', contacts: 'Контакти', deals: 'Угоди', calendar: 'Календар',
      title: 'Демо вибору дати', dates: 'Дати', jdate: 'Дата (іранський календар)',
      jdatetime: 'Дата й час (іранський)', gdate: 'Дата', gdatetime: 'Дата й час',
      save: 'Зберегти', notify: 'Тестове сповіщення', phone: 'Телефон', widgets: 'Віджети',
    },
  }[lang];
  document.addEventListener('DOMContentLoaded', () => {
    for (const el of document.querySelectorAll('[data-t]')) {
      const s = T[el.getAttribute('data-t')];
      if (s) el.textContent = s;
    }
  });
})();
