// The dashboard's one HTML page: structure and labels only. Its script and style are separate files from the
// same origin, so the Content-Security-Policy needs no inline script or style at all.
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kabar dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header class="bar">
  <h1>kabar</h1>
  <p id="stream-state" role="status" aria-live="polite"></p>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>
<main>
  <section id="sign-in" aria-labelledby="sign-in-title">
    <h2 id="sign-in-title">Sign in</h2>
    <form id="sign-in-form">
      <label for="admin-token">Admin token</label>
      <input id="admin-token" name="token" type="password" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
      <p id="sign-in-error" class="error" role="alert"></p>
    </form>
    <p class="hint">The token is the ADMIN_TOKEN secret. It is kept in this tab only (sessionStorage) and sent as a header, never in a URL.</p>
  </section>

  <div id="app" hidden>
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <ul id="sessions" class="sessions" aria-label="Sessions"></ul>
      <p id="no-sessions" class="hint">No sessions yet: create one below.</p>
      <details id="create">
        <summary>Create a session</summary>
        <form id="create-form">
          <label for="create-id">Session id (optional)</label>
          <input id="create-id" name="sessionId" autocomplete="off">
          <label for="create-description">Description (optional)</label>
          <input id="create-description" name="description" maxlength="256" autocomplete="off">
          <label for="create-webhook">Webhook URL (optional)</label>
          <input id="create-webhook" name="webhookUrl" type="url" autocomplete="off">
          <button type="submit">Create session</button>
          <p id="create-error" class="error" role="alert"></p>
        </form>
      </details>
      <div id="secret" class="secret" hidden role="region" aria-labelledby="secret-title">
        <h3 id="secret-title"></h3>
        <p>Shown only this once: store it now.</p>
        <output id="secret-value" class="mono"></output>
        <button id="secret-done" type="button">I have stored it</button>
      </div>
    </section>

    <section id="session" hidden aria-labelledby="session-title">
      <h2 id="session-title"></h2>
      <p id="session-description" class="hint"></p>
      <dl class="facts">
        <dt>Status</dt><dd><span id="session-status" class="status"></span></dd>
        <dt>Why</dt><dd id="session-reason"></dd>
        <dt>WhatsApp user</dt><dd id="session-user">—</dd>
        <dt>Connector</dt><dd id="session-connector">—</dd>
        <dt>Webhook</dt><dd id="session-webhook" class="mono">—</dd>
        <dt>Key prefixes</dt><dd id="session-keys" class="mono">—</dd>
        <dt>Counters</dt><dd id="session-counters">—</dd>
      </dl>
      <div class="actions" role="group" aria-label="Session actions">
        <button type="button" class="quiet" data-action="start">Start</button>
        <button type="button" class="quiet" data-action="stop">Stop</button>
        <button type="button" class="quiet" data-action="restart">Restart</button>
        <button type="button" class="quiet" data-action="logout">Log out</button>
        <button type="button" class="quiet" data-action="delete">Delete</button>
      </div>
      <p id="action-result" role="status"></p>
      <figure id="qr-box" hidden>
        <img id="qr" alt="QR code to link WhatsApp" width="264" height="264">
        <figcaption>On the phone: WhatsApp › Linked devices › Link a device, then scan. It is replaced as WhatsApp rotates it.</figcaption>
      </figure>
      <form id="pair-form" class="inline">
        <label for="pair-phone">Link with phone number instead</label>
        <input id="pair-phone" name="phone" inputmode="tel" autocomplete="off" required>
        <button type="submit">Get pairing code</button>
        <output id="pair-code" class="mono"></output>
        <p id="pair-error" class="error" role="alert"></p>
      </form>

      <h3>Send a test message</h3>
      <form id="send-form">
        <label for="send-to">To (phone number or group JID)</label>
        <input id="send-to" name="to" autocomplete="off" required>
        <label for="send-text">Message</label>
        <textarea id="send-text" name="message" rows="2" aria-describedby="send-text-hint"></textarea>
        <p id="send-text-hint" class="hint">With a file attached, the message is its caption.</p>
        <label for="send-file">Attach a file (optional)</label>
        <input id="send-file" name="file" type="file">
        <p class="hint">A JPEG, PNG or WebP goes as an image, anything else as a document.</p>
        <button type="submit">Send</button>
        <p id="send-result" role="status"></p>
      </form>

      <h3>Webhook deliveries</h3>
      <button id="deliveries-refresh" type="button">Refresh</button>
      <p id="deliveries-note" class="hint" role="status"></p>
      <div class="scroll"><table id="deliveries">
        <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Attempt</th><th scope="col">Outcome</th><th scope="col">Detail</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody></tbody>
      </table></div>

      <h3>API key</h3>
      <p class="hint">A new key replaces every key of the session at once: apps using the old one stop working.</p>
      <button id="rotate-key" type="button">Rotate key</button>
    </section>

    <section aria-labelledby="connectors-title">
      <h2 id="connectors-title">Connectors</h2>
      <button id="connectors-refresh" type="button">Refresh</button>
      <div class="scroll"><table id="connectors">
        <thead><tr><th scope="col">Connector</th><th scope="col">Sessions</th><th scope="col">Load</th></tr></thead>
        <tbody></tbody>
      </table></div>
      <p id="connectors-note" class="hint" role="status"></p>
    </section>
  </div>
</main>
</body>
</html>
`;
