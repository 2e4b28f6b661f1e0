// "Turn on notifications on this device", on the notifications page. The
// page works without it: the section then says that phone notifications
// need JavaScript. Texts come from the page (data-* attributes), in the
// member's language.
(function () {
  'use strict';
  var box = document.getElementById('push');
  if (!box) {
    return;
  }
  var status = document.getElementById('push-status');
  var on = document.getElementById('push-on');
  var off = document.getElementById('push-off');
  function say(key) {
    status.textContent = box.getAttribute('data-' + key) || '';
  }
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    say('unsupported');
    return;
  }
  function fromB64(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) {
      s += '=';
    }
    var raw = atob(s);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  }
  function toB64(buf) {
    var b = new Uint8Array(buf);
    var s = '';
    for (var i = 0; i < b.length; i++) {
      s += String.fromCharCode(b[i]);
    }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function post(path, fields) {
    return fetch(path, { method: 'POST', body: new URLSearchParams(fields), credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) {
        throw new Error('HTTP ' + r.status);
      }
    });
  }
  function show(sub) {
    on.hidden = !!sub;
    off.hidden = !sub;
    say(sub ? 'on' : (Notification.permission === 'denied' ? 'denied' : 'off'));
  }
  var ready = navigator.serviceWorker.register('/sw.js', { scope: '/' });
  ready.then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(show, function () {
    say('error');
  });
  on.addEventListener('click', function () {
    on.disabled = true;
    ready.then(function (reg) {
      return Notification.requestPermission().then(function (perm) {
        if (perm !== 'granted') {
          return null;
        }
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromB64(box.getAttribute('data-key')) });
      });
    }).then(function (sub) {
      if (!sub) {
        show(null);
        return null;
      }
      return post('/push/subscribe', { endpoint: sub.endpoint, p256dh: toB64(sub.getKey('p256dh')), auth: toB64(sub.getKey('auth')) })
        .then(function () {
          show(sub);
          off.focus();
        });
    }).catch(function () {
      say('error');
    }).then(function () {
      on.disabled = false;
    });
  });
  off.addEventListener('click', function () {
    off.disabled = true;
    ready.then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (sub) {
      if (!sub) {
        return null;
      }
      return post('/push/unsubscribe', { endpoint: sub.endpoint }).then(function () {
        return sub.unsubscribe();
      });
    }).then(function () {
      show(null);
      on.focus();
    }).catch(function () {
      say('error');
    }).then(function () {
      off.disabled = false;
    });
  });
})();
