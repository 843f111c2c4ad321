// Registers the service worker (served by Django at /sw.js so that its scope
// can be "/"). Opt out per page with <meta name="crm-service-worker" content="off">.
export function registerServiceWorker(url = '/sw.js') {
  if (!('serviceWorker' in navigator)) return Promise.resolve(null);
  if (!/^https?:$/.test(location.protocol)) return Promise.resolve(null);
  const meta = document.querySelector('meta[name="crm-service-worker"]');
  if (meta && meta.getAttribute('content') === 'off') return Promise.resolve(null);
  return navigator.serviceWorker.register(url, { scope: '/' }).catch((err) => {
    console.warn('CRM: service worker registration failed', err);
    return null;
  });
}

/** Forget offline copies of pages (call on logout / user switch). */
export function clearOfflinePages() {
  if ('serviceWorker' in navigator && navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage({ type: 'crm:clear-pages' });
  }
  if ('caches' in window) return caches.delete('crm-pages');
  return Promise.resolve(false);
}
