// Hearth's service worker: it shows the notifications the instance pushes
// (title, text, link; nothing private ever comes this way) and opens the
// page when one is tapped. It caches nothing.
'use strict';

self.addEventListener('push', function (event) {
  var m = {};
  try {
    m = event.data ? event.data.json() : {};
  } catch (e) {
    m = {};
  }
  event.waitUntil(self.registration.showNotification(m.title || 'Hearth', {
    body: m.body || '',
    tag: m.tag || undefined,
    icon: '/icons/192.png',
    badge: '/icons/192.png',
    data: { url: m.url || '/' }
  }));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || '/', self.location.origin);
  if (url.origin !== self.location.origin) {
    url = new URL('/', self.location.origin);
  }
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].url === url.href && 'focus' in list[i]) {
        return list[i].focus();
      }
    }
    return self.clients.openWindow(url.href);
  }));
});
