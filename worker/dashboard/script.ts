// The dashboard's browser script, served as /dashboard/app.js (a file, so the CSP allows no inline script).
// Plain DOM, no framework: sessions and their QR come from the admin live stream (GET /api/stream), the rest
// from the admin API with the token from sessionStorage as `Authorization: Bearer`. Text from the server is
// only ever set as textContent, never parsed as HTML.
export const DASHBOARD_JS = String.raw`'use strict';
(function () {
  var TOKEN_KEY = 'kabar.adminToken';
  var PING_MS = 25000;
  var RETRY_MAX_MS = 30000;
  var $ = function (id) { return document.getElementById(id); };
  var state = { token: sessionStorage.getItem(TOKEN_KEY), sessions: new Map(), selected: null, socket: null, retries: 0, pinger: null, pairing: new Map() };

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      if (k === 'text') node.textContent = props[k];
      else if (k === 'class') node.className = props[k];
      else if (k.indexOf('on') === 0) node.addEventListener(k.slice(2), props[k]);
      else node.setAttribute(k, props[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function api(method, path, body) {
    var headers = { authorization: 'Bearer ' + state.token };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) }).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try { json = JSON.parse(text); } catch (e) { json = { error: text }; }
        return { status: response.status, ok: response.ok, json: json || {} };
      });
    });
  }

  function errorText(answer) {
    return (answer.json && (answer.json.error || answer.json.message)) || ('HTTP ' + answer.status);
  }

  // --- signing in and out ----------------------------------------------------------------------------

  function showSignedIn(signedIn) {
    $('sign-in').hidden = signedIn;
    $('app').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
  }

  function signOut(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    closeStream();
    state.sessions.clear();
    state.selected = null;
    showSignedIn(false);
    $('stream-state').textContent = '';
    $('sign-in-error').textContent = why || '';
    $('admin-token').value = '';
    $('admin-token').focus();
  }

  $('sign-in-form').addEventListener('submit', function (event) {
    event.preventDefault();
    state.token = $('admin-token').value.trim();
    $('sign-in-error').textContent = '';
    connect(true);
  });
  $('sign-out').addEventListener('click', function () { signOut(''); });

  // --- the live stream -------------------------------------------------------------------------------

  function closeStream() {
    clearInterval(state.pinger);
    var socket = state.socket;
    state.socket = null;
    if (socket) socket.close(1000);
  }

  function setStreamState(text) { $('stream-state').textContent = text; }

  /** A pass (admin POST), then the socket; a first sign-in shows a refused token instead of retrying. */
  function connect(signingIn) {
    setStreamState('Connecting…');
    api('POST', '/api/stream/passes').then(function (answer) {
      if (answer.status === 401 || answer.status === 403) {
        if (signingIn) { state.token = null; setStreamState(''); $('sign-in-error').textContent = 'Sign-in refused: ' + errorText(answer); }
        else signOut('The admin token was refused; sign in again.');
        return;
      }
      if (!answer.ok) { setStreamState('Stream unavailable: ' + errorText(answer)); retryLater(); return; }
      if (signingIn) { sessionStorage.setItem(TOKEN_KEY, state.token); showSignedIn(true); loadConnectors(); }
      openSocket(answer.json.pass);
    }, function () { setStreamState('Offline; retrying…'); retryLater(); });
  }

  function retryLater() {
    if (!state.token) return;
    var delay = Math.min(RETRY_MAX_MS, 1000 * Math.pow(2, state.retries++));
    setTimeout(function () { if (state.token && !state.socket) connect(false); }, delay);
  }

  function openSocket(pass) {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var socket = new WebSocket(scheme + location.host + '/api/stream?pass=' + encodeURIComponent(pass));
    state.socket = socket;
    socket.addEventListener('open', function () {
      state.retries = 0;
      setStreamState('Live');
      state.pinger = setInterval(function () { socket.send('{"type":"ping"}'); }, PING_MS);
    });
    socket.addEventListener('message', function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      onFrame(frame);
    });
    socket.addEventListener('close', function () {
      if (state.socket !== socket) return; // closed on purpose
      clearInterval(state.pinger);
      state.socket = null;
      setStreamState('Reconnecting…');
      retryLater();
    });
  }

  function onFrame(frame) {
    if (frame.type === 'pong') return;
    if (frame.event === 'stream.ready') {
      state.sessions.clear();
      (frame.data.sessions || []).forEach(function (s) { state.sessions.set(s.sessionId, s); });
      renderSessions();
      renderSelected();
      loadSessionList();
      return;
    }
    var id = frame.sessionId;
    if (!id) return;
    if (frame.event === 'session.removed') {
      state.sessions.delete(id);
      if (state.selected === id) state.selected = null;
      renderSessions();
      renderSelected();
      return;
    }
    var s = state.sessions.get(id) || { sessionId: id, status: 'STARTING', reason: null, qrDataUrl: null, user: null };
    var data = frame.data || {};
    if (frame.event === 'qr') {
      s.status = 'SCAN_QR_CODE';
      s.qrDataUrl = data.qrDataUrl;
      s.user = null;
    } else if (frame.event === 'connection.update') {
      s.status = data.status;
      s.reason = data.status === 'WORKING' ? null : { code: data.code || null, message: data.reason || null };
      if (data.status !== 'SCAN_QR_CODE') s.qrDataUrl = null;
      s.user = data.user || (data.status === 'WORKING' ? s.user : null);
      loadConnectors(); // which connector holds what, and how many are WORKING, moves with statuses
    } else if (frame.event === 'pairing.code') {
      state.pairing.set(id, data.code);
    } else if (frame.event === 'webhook.delivery') {
      if (state.selected === id) { loadDeliveries(); loadDetail(); }
      return;
    } else {
      countersMayHaveChanged(id);
      return;
    }
    state.sessions.set(id, s);
    renderSessions();
    if (state.selected === id) renderSelected();
  }

  /** Any other event of the open session changes its counters (messages, events). */
  function countersMayHaveChanged(id) {
    if (state.selected === id) loadDetail();
  }

  // --- sessions ----------------------------------------------------------------------------------------

  function reasonText(s) {
    if (s.status === 'WORKING') return s.user ? 'Linked as ' + s.user.id : 'Linked';
    if (!s.reason) return 'Waiting for the connector to report';
    return [s.reason.code, s.reason.message].filter(Boolean).join(': ');
  }

  function statusBadge(status) {
    return el('span', { class: 'status', 'data-status': status, text: status });
  }

  function renderSessions() {
    var list = $('sessions');
    list.replaceChildren();
    var sessions = Array.from(state.sessions.values()).sort(function (a, b) { return a.sessionId < b.sessionId ? -1 : 1; });
    sessions.forEach(function (s) {
      var button = el('button', { type: 'button', 'aria-current': String(state.selected === s.sessionId), 'data-session': s.sessionId, onclick: function () { select(s.sessionId); } }, [
        el('span', { class: 'id', text: s.sessionId }),
        statusBadge(s.status),
        el('span', { class: 'reason', text: reasonText(s) }),
      ].concat(s.description ? [el('span', { class: 'reason', text: s.description })] : []));
      list.appendChild(el('li', {}, [button]));
    });
    $('no-sessions').hidden = sessions.length > 0;
  }

  /** The stored sessions (first page), for those the hub has no live snapshot of and for their descriptions. */
  function loadSessionList() {
    api('GET', '/api/sessions?limit=100').then(function (answer) {
      if (!answer.ok) return;
      (answer.json.sessions || []).forEach(function (row) {
        var s = state.sessions.get(row.id);
        if (!s) state.sessions.set(row.id, { sessionId: row.id, status: row.status, reason: row.reason, qrDataUrl: null, user: row.user, description: row.description });
        else s.description = row.description;
      });
      renderSessions();
      renderSelected();
    });
  }

  function loadDetail() {
    var id = state.selected;
    api('GET', '/api/sessions/' + encodeURIComponent(id)).then(function (answer) {
      if (state.selected !== id || !answer.ok) return;
      var d = answer.json.session;
      $('session-description').textContent = d.description || '';
      $('session-connector').textContent = d.connectorId ? d.connectorId + (d.connectorAttached ? ' (attached)' : ' (not attached)') : '—';
      $('session-webhook').textContent = d.webhook && d.webhook.url ? d.webhook.url : 'none';
      $('session-keys').textContent = (d.keys || []).map(function (k) { return k.prefix + '…'; }).join(', ') || 'none';
      var c = d.counters;
      $('session-counters').textContent = c ? c.messagesIn + ' in, ' + c.messagesOut + ' out, ' + c.events + ' events; webhooks ' + c.deliveries.delivered + ' delivered, ' + c.deliveries.failed + ' failed, ' + c.deliveries.dead + ' dead' : '—';
    });
  }

  function select(id) {
    state.selected = id;
    $('pair-code').textContent = '';
    $('pair-error').textContent = '';
    $('send-result').textContent = '';
    $('action-result').textContent = '';
    ['session-description', 'session-connector', 'session-webhook', 'session-keys', 'session-counters'].forEach(function (f) { $(f).textContent = ''; });
    renderSessions();
    renderSelected();
    loadDetail();
    loadDeliveries();
    $('session-title').focus();
  }

  function renderSelected() {
    var s = state.selected && state.sessions.get(state.selected);
    $('session').hidden = !s;
    if (!s) return;
    $('session-title').textContent = 'Session ' + s.sessionId;
    $('session-title').setAttribute('tabindex', '-1');
    var status = $('session-status');
    status.textContent = s.status;
    status.setAttribute('data-status', s.status);
    $('session-reason').textContent = reasonText(s);
    $('session-user').textContent = s.user ? s.user.id + (s.user.name ? ' (' + s.user.name + ')' : '') : '—';
    $('qr-box').hidden = !(s.status === 'SCAN_QR_CODE' && s.qrDataUrl);
    if (s.qrDataUrl && $('qr').getAttribute('src') !== s.qrDataUrl) $('qr').setAttribute('src', s.qrDataUrl);
    $('pair-form').hidden = s.status === 'WORKING';
    var code = state.pairing.get(s.sessionId);
    if (code) $('pair-code').textContent = code;
  }

  function showSecret(title, value) {
    $('secret-title').textContent = title;
    $('secret-value').textContent = value;
    $('secret').hidden = false;
    $('secret-done').focus();
  }
  $('secret-done').addEventListener('click', function () {
    $('secret').hidden = true;
    $('secret-value').textContent = '';
  });

  $('create-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var body = {};
    ['create-id:sessionId', 'create-description:description', 'create-webhook:webhookUrl'].forEach(function (pair) {
      var parts = pair.split(':');
      var value = $(parts[0]).value.trim();
      if (value) body[parts[1]] = value;
    });
    $('create-error').textContent = '';
    api('POST', '/api/sessions', body).then(function (answer) {
      if (!answer.ok) { $('create-error').textContent = errorText(answer); return; }
      $('create-form').reset();
      var id = answer.json.sessionId;
      if (!state.sessions.has(id)) state.sessions.set(id, { sessionId: id, status: 'STARTING', reason: null, qrDataUrl: null, user: null });
      select(id);
      showSecret('API key of ' + id, answer.json.apiKey + (answer.json.webhookSecret ? '\nWebhook secret: ' + answer.json.webhookSecret : ''));
    });
  });

  $('pair-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var id = state.selected;
    $('pair-error').textContent = '';
    $('pair-code').textContent = 'Asking WhatsApp…';
    api('POST', '/api/sessions/' + encodeURIComponent(id) + '/pair', { phone: $('pair-phone').value.trim() }).then(function (answer) {
      if (!answer.ok) { $('pair-code').textContent = ''; $('pair-error').textContent = errorText(answer); return; }
      state.pairing.set(id, answer.json.code);
      $('pair-code').textContent = answer.json.code;
    });
  });

  // What WhatsApp shows inline as a photo; anything else goes as a document, under its own name.
  var IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

  // The file goes up as the raw body (streamed into R2, any size up to MAX_MEDIA_BYTES), then is sent by its id.
  function sendFile(id, to, file, caption) {
    var path = '/api/sessions/' + encodeURIComponent(id);
    var headers = { authorization: 'Bearer ' + state.token, 'content-type': file.type || 'application/octet-stream', 'x-kabar-filename': encodeURIComponent(file.name) };
    return fetch(path + '/media', { method: 'POST', headers: headers, body: file }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) return { ok: false, status: response.status, json: json };
        var type = IMAGE_TYPES.indexOf(json.mimetype) >= 0 ? 'image' : 'document';
        var media = { mediaId: json.mediaId };
        if (caption) media.caption = caption;
        if (type === 'document') media.filename = file.name;
        var body = { to: to, type: type };
        body[type] = media;
        return api('POST', path + '/messages', body);
      });
    });
  }

  $('send-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var file = $('send-file').files[0];
    var text = $('send-text').value;
    if (!file && !text.trim()) { $('send-result').textContent = 'Write a message or attach a file.'; $('send-text').focus(); return; }
    $('send-result').textContent = file ? 'Uploading ' + file.name + '…' : 'Sending…';
    var to = $('send-to').value.trim();
    var sent = file
      ? sendFile(state.selected, to, file, text.trim())
      : api('POST', '/api/sessions/' + encodeURIComponent(state.selected) + '/messages', { to: to, type: 'text', text: { body: text } });
    sent.then(function (answer) {
      $('send-result').textContent = answer.ok ? 'Sent.' : 'Not sent: ' + errorText(answer);
      if (!answer.ok) return;
      $('send-text').value = '';
      $('send-file').value = '';
    }, function (error) {
      $('send-result').textContent = 'Not sent: ' + error.message;
    });
  });

  document.querySelectorAll('[data-action]').forEach(function (button) {
    button.addEventListener('click', function () {
      var id = state.selected;
      var action = button.getAttribute('data-action');
      var destroys = action === 'logout' || action === 'delete';
      if (destroys && !confirm((action === 'delete' ? 'Delete ' : 'Log out ') + id + '? WhatsApp is unlinked and the login forgotten.')) return;
      var call = action === 'delete' ? api('DELETE', '/api/sessions/' + encodeURIComponent(id)) : api('POST', '/api/sessions/' + encodeURIComponent(id) + '/' + action);
      call.then(function (answer) {
        $('action-result').textContent = answer.ok ? answer.json.message || 'Done.' : 'Refused: ' + errorText(answer);
        if (answer.ok && state.selected === id && action !== 'delete') loadDetail();
      });
    });
  });

  $('rotate-key').addEventListener('click', function () {
    var id = state.selected;
    if (!confirm('Issue a new key for ' + id + '? Every current key of this session stops working at once.')) return;
    api('POST', '/api/sessions/' + encodeURIComponent(id) + '/keys').then(function (answer) {
      if (!answer.ok) { $('send-result').textContent = 'Key not rotated: ' + errorText(answer); return; }
      showSecret('New API key of ' + id, answer.json.apiKey);
      loadDetail();
    });
  });

  // --- webhook deliveries --------------------------------------------------------------------------------

  function when(ms) { return new Date(ms).toLocaleString(); }

  /** What the last replay from the selected session's log came to. */
  var replayNote = { sessionId: null, text: '' };

  function loadDeliveries() {
    var id = state.selected;
    if (!id) return;
    api('GET', '/api/webhooks/deliveries?sessionId=' + encodeURIComponent(id) + '&limit=50').then(function (answer) {
      if (state.selected !== id) return;
      var body = $('deliveries').tBodies[0];
      body.replaceChildren();
      if (!answer.ok) { $('deliveries-note').textContent = 'Delivery log unavailable: ' + errorText(answer); return; }
      var deliveries = answer.json.deliveries || [];
      // A replay's answer stays through the refreshes its own delivery brings, which come within moments.
      var kept = replayNote.sessionId === id ? replayNote.text : '';
      $('deliveries-note').textContent = kept || (deliveries.length ? '' : 'No deliveries yet.');
      deliveries.forEach(function (d) {
        var replay = d.outcome === 'delivered' ? el('span') : el('button', { type: 'button', class: 'quiet', 'aria-label': 'Replay event ' + d.eventId, text: 'Replay', onclick: function () { replayDelivery(d.eventId); } });
        body.appendChild(el('tr', { 'data-event': d.eventId }, [
          el('td', { text: when(d.createdAt) }),
          el('td', { class: 'mono', text: (d.event ? d.event + ' ' : '') + d.eventId }),
          el('td', { text: String(d.attempt) }),
          el('td', { text: d.outcome }),
          el('td', { text: d.error || (d.statusCode ? 'HTTP ' + d.statusCode : '') }),
          el('td', {}, [replay]),
        ]));
      });
    });
  }

  function replayDelivery(eventId) {
    var id = state.selected;
    api('POST', '/api/webhooks/deliveries/' + encodeURIComponent(eventId) + '/replay').then(function (answer) {
      replayNote = { sessionId: id, text: answer.ok ? 'Replay queued for ' + eventId + '.' : 'Replay refused: ' + errorText(answer) };
      if (state.selected === id) $('deliveries-note').textContent = replayNote.text;
    });
  }
  $('deliveries-refresh').addEventListener('click', loadDeliveries);

  // --- connectors ----------------------------------------------------------------------------------------

  function loadConnectors() {
    api('GET', '/api/connectors').then(function (answer) {
      var body = $('connectors').tBodies[0];
      body.replaceChildren();
      if (!answer.ok) { $('connectors-note').textContent = 'Connector list unavailable: ' + errorText(answer); return; }
      var connectors = answer.json.connectors || [];
      $('connectors-note').textContent = connectors.length ? '' : 'No connector is attached.';
      connectors.forEach(function (c) {
        body.appendChild(el('tr', {}, [
          el('td', { class: 'mono', text: c.connectorId + (c.attached ? '' : ' (away)') }),
          el('td', { text: c.sessions.join(', ') || '—' }),
          el('td', { text: c.sessions.length + ' sessions, ' + c.working + ' WORKING' }),
        ]));
      });
    });
  }
  $('connectors-refresh').addEventListener('click', loadConnectors);

  // --- start ---------------------------------------------------------------------------------------------

  if (state.token) { showSignedIn(true); connect(false); loadConnectors(); }
  else showSignedIn(false);
})();
`;
