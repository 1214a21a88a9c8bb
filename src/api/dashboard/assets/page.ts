// The dashboard's two HTML documents. No inline script or style (the CSP forbids both): the page loads
// /dashboard/app.js and /dashboard/app.css, and the per-session CSRF token travels in a meta element.

/** Escapes text for an HTML attribute or element body. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small diamond icon, so the browser does not ask the admin API for /favicon.ico. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M8 1l7 7-7 7-7-7z" fill="#2f6fde"/></svg>\n';

function head(title: string, extra = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/app.css">${extra}
</head>
`;
}

/** The login page; `error` is shown above the form when set. */
export function loginPage(error: string | null): string {
  return `${head('smppgate · log in')}<body class="login">
<main class="login-box">
  <h1><span class="logo" aria-hidden="true">◆</span> smppgate</h1>
  <p class="muted">Live dashboard. Enter the admin token (<code>[admin] token</code> in the config, or the one
  printed when the gateway started).</p>
  ${error === null ? '' : `<p class="error" role="alert">${escapeHtml(error)}</p>`}
  <form method="post" action="/dashboard/login">
    <label for="token">Admin token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    <button type="submit">Log in</button>
  </form>
</main>
</body>
</html>
`;
}

/** The dashboard itself; the script fills every element from the event stream. */
export function dashboardPage(csrf: string): string {
  const extra = `
<meta name="csrf-token" content="${escapeHtml(csrf)}">
<script src="/dashboard/app.js" defer></script>`;
  return `${head('smppgate · dashboard', extra)}<body>
<header class="top">
  <div class="brand"><span class="logo" aria-hidden="true">◆</span> smppgate</div>
  <div class="live" id="live" data-state="connecting"><span class="dot"></span><span id="live-text">connecting…</span></div>
  <div class="meta">up <span id="uptime">–</span> · updated <span id="updated">–</span></div>
  <button type="button" id="logout" class="ghost">Log out</button>
</header>
<main class="board">
  <section class="cards" aria-label="Figures">
    <div class="card accent-in"><div class="label">MT in</div><div class="value" id="rate-in">–</div><div class="unit">msg/s accepted</div></div>
    <div class="card accent-out"><div class="label">Out</div><div class="value" id="rate-out">–</div><div class="unit">msg/s sent upstream</div></div>
    <div class="card"><div class="label">Accepted</div><div class="value" id="mt-accepted">–</div><div class="unit">MT parts since start</div></div>
    <div class="card"><div class="label">Refused</div><div class="value" id="mt-refused">–</div><div class="unit">MT requests</div></div>
    <div class="card"><div class="label">Sent upstream</div><div class="value" id="sent-upstream">–</div><div class="unit">parts</div></div>
    <div class="card"><div class="label">To ESMEs</div><div class="value" id="deliveries">–</div><div class="unit">receipts and MO delivered</div></div>
    <div class="card"><div class="label">MO</div><div class="value" id="mo">–</div><div class="unit">received</div></div>
  </section>

  <section class="panel wide">
    <div class="panel-head"><h2>Messages per second</h2><div class="legend"><span class="key key-in"></span>in (accepted)
      <span class="key key-out"></span><span id="legend-out">out (sent upstream)</span><span class="muted"> · last 10 minutes</span></div></div>
    <svg id="chart" viewBox="0 0 800 220" preserveAspectRatio="none" role="img" aria-label="Messages per second over the last 10 minutes"></svg>
  </section>

  <section class="panel wide">
    <div class="panel-head"><h2>Binds</h2><span class="count" id="binds-count">0</span></div>
    <table class="grid">
      <thead><tr><th>User</th><th>Type</th><th>Peer</th><th>Since</th><th title="requests being processed · ours awaiting the ESME">Window in use</th></tr></thead>
      <tbody id="binds"><tr class="empty"><td colspan="5">No ESME bound.</td></tr></tbody>
    </table>
  </section>

  <section class="panel wide">
    <div class="panel-head"><h2>Connectors</h2><span class="muted small" id="connector-note"></span></div>
    <table class="grid">
      <thead><tr><th>Connector</th><th>Type</th><th>State</th><th>Binds</th><th>Queue</th><th>Last error</th><th></th></tr></thead>
      <tbody id="connectors"><tr class="empty"><td colspan="7">No connector.</td></tr></tbody>
    </table>
  </section>

  <section class="panel">
    <div class="panel-head"><h2>Receipts by state</h2></div>
    <table class="grid compact"><tbody id="receipts"><tr class="empty"><td>No receipt yet.</td></tr></tbody></table>
  </section>

  <section class="panel">
    <div class="panel-head"><h2>Last errors</h2><span class="count" id="errors-count">0</span></div>
    <ol class="errors" id="errors"><li class="empty">Nothing to report.</li></ol>
  </section>

  <section class="panel wide">
    <div class="panel-head"><h2>Message lookup</h2></div>
    <form id="lookup" class="lookup" autocomplete="off">
      <input id="lookup-id" name="id" placeholder="message_id" aria-label="message_id" spellcheck="false" required>
      <button type="submit">Look up</button>
    </form>
    <div id="lookup-result"></div>
  </section>
</main>
</body>
</html>
`;
}
