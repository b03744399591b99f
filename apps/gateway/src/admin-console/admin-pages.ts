/*
 * The ops console's pages, rendered on the server as plain HTML: no front-end build, no script, every
 * action a form (so it works without JavaScript), tables with captions and header scopes, one
 * stylesheet inline. Everything that came from outside goes through `esc`.
 */

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface SourceRow {
  source: string;
  configured: boolean;
  lastEventAt?: string;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Accepted per hour, oldest first. */
  perHour: number[];
}

export interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledReason?: string;
  /** Share of recent finished deliveries that succeeded, or undefined when none finished. */
  successRate?: number;
  recentCount: number;
  lastStatus?: string;
  lastLatencyMs?: number;
  failingSince?: string;
}

export interface DeadLetterRow {
  id: string;
  eventType: string;
  subscriptionId: string;
  url: string;
  attemptCount: number;
  lastError?: string;
  lastStatusCode?: number;
  deadAt?: string;
}

export interface ApprovalRow {
  id: string;
  action: string;
  summary: string;
  status: string;
  requestedAt: string;
  expiresAt: string;
  decision?: { decision: string; by: { channel: string; id?: string }; reason?: string; at: string };
}

export interface EventRow {
  id: string;
  source: string;
  type: string;
  receivedAt: string;
  subject?: string;
}

export interface Overview {
  sources: SourceRow[];
  endpoints: EndpointRow[];
  deadLetters: DeadLetterRow[];
  deadLetterTotal: number;
  approvals: ApprovalRow[];
  events: EventRow[];
  eventFilter: { source?: string; type?: string };
  nextEventsCursor: string | null;
  knownSources: string[];
}

export interface DeliveryView {
  id: string;
  url: string;
  subscriptionId: string;
  status: string;
  attemptCount: number;
  lastError?: string;
  attempts: { attempt: number; at: string; statusCode?: number; durationMs: number; errorKind?: string; error?: string }[];
}

const STYLE = `
:root { color-scheme: light dark; --muted: #667; --ok: #17733a; --bad: #b3261e; --line: #ccd; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 80rem; padding: 0 1rem 3rem; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: baseline; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.3rem; margin: .8rem 0; }
nav a { margin-right: 1rem; }
h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
caption { text-align: left; color: var(--muted); padding: .2rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, monospace; font-size: .9em; overflow-wrap: anywhere; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .muted { color: var(--muted); }
form.inline { display: inline; margin: 0 .2rem 0 0; }
button { font: inherit; padding: .15rem .6rem; cursor: pointer; }
.notice { border: 1px solid var(--ok); padding: .5rem .8rem; margin: 1rem 0; }
.notice.bad { border-color: var(--bad); }
.secret { font-size: 1.1rem; padding: .6rem; border: 2px dashed var(--bad); display: inline-block; }
label { margin-right: .5rem; }
`;

function page(title: string, body: string, notice?: { text: string; bad?: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)} · webhook hub</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Webhook hub console</h1>
<nav aria-label="Console">
<a href="/admin">Overview</a><a href="/admin#events">Events</a><a href="/admin/queues">Queues (Bull Board)</a><a href="/docs">API docs</a><a href="/metrics">Metrics</a><a href="/health/ready">Readiness</a>
</nav>
</header>
<main>
${notice ? `<p class="notice${notice.bad ? ' bad' : ''}" role="status">${esc(notice.text)}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

/** A form posting to `action` with the CSRF token; its only visible part is the button. */
function button(action: string, label: string, csrf: string, extra = ''): string {
  return `<form class="inline" method="post" action="${esc(action)}"><input type="hidden" name="csrf" value="${esc(csrf)}">${extra}<button type="submit">${esc(label)}</button></form>`;
}

/** 24 bars of hourly counts as inline SVG, with a text equivalent for screen readers. */
export function sparkline(perHour: number[]): string {
  const max = Math.max(1, ...perHour);
  const bars = perHour
    .map((n, i) => {
      const h = Math.round((n / max) * 20);
      return `<rect x="${i * 4}" y="${22 - h}" width="3" height="${Math.max(h, n > 0 ? 1 : 0)}"></rect>`;
    })
    .join('');
  const total = perHour.reduce((a, b) => a + b, 0);
  return `<svg role="img" width="${perHour.length * 4}" height="22" viewBox="0 0 ${perHour.length * 4} 22" fill="currentColor"><title>${total} accepted in the last ${perHour.length} hours; busiest hour ${Math.max(0, ...perHour)}</title>${bars}</svg>`;
}

const when = (iso?: string) => (iso ? `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>` : '<span class="muted">never</span>');

export function overviewPage(model: Overview, csrf: string, notice?: { text: string; bad?: boolean }): string {
  const sources = model.sources
    .map(
      (s) => `<tr>
<th scope="row">${esc(s.source)}</th>
<td>${s.configured ? '<span class="ok">configured</span>' : '<span class="bad">not configured</span> <span class="muted">(answers 503)</span>'}</td>
<td>${when(s.lastEventAt)}</td>
<td class="num">${s.accepted}</td><td class="num">${s.rejected}</td><td class="num">${s.duplicates}</td>
<td>${sparkline(s.perHour)}</td>
</tr>`,
    )
    .join('\n');

  const endpoints = model.endpoints.length
    ? model.endpoints
        .map(
          (e) => `<tr>
<th scope="row"><span class="mono">${esc(e.url)}</span><br><span class="muted mono">${esc(e.id)}</span></th>
<td class="mono">${e.events.map(esc).join(', ')}</td>
<td>${e.enabled ? '<span class="ok">enabled</span>' : `<span class="bad">disabled</span>${e.disabledReason ? `: ${esc(e.disabledReason)}` : ''}`}</td>
<td class="num">${e.successRate === undefined ? '<span class="muted">–</span>' : `${Math.round(e.successRate * 100)} %`} <span class="muted">of ${e.recentCount}</span></td>
<td>${e.lastStatus ? esc(e.lastStatus) : '<span class="muted">–</span>'}${e.lastLatencyMs !== undefined ? ` <span class="muted">${e.lastLatencyMs} ms</span>` : ''}</td>
<td>${e.failingSince ? `<span class="bad">failing since ${when(e.failingSince)}</span>` : '<span class="ok">healthy</span>'}</td>
<td>${e.enabled ? button(`/admin/endpoints/${e.id}/disable`, 'Disable', csrf) : button(`/admin/endpoints/${e.id}/enable`, 'Enable', csrf)}${button(`/admin/endpoints/${e.id}/test`, 'Send test', csrf)}${button(`/admin/endpoints/${e.id}/rotate-secret`, 'Rotate secret', csrf)}</td>
</tr>`,
        )
        .join('\n')
    : '<tr><td colspan="7" class="muted">No endpoints yet: POST /api/v1/subscriptions or the MCP tool register_webhook.</td></tr>';

  const dead = model.deadLetters.length
    ? model.deadLetters
        .map(
          (d) => `<tr>
<th scope="row" class="mono">${esc(d.id)}</th>
<td class="mono">${esc(d.eventType)}</td>
<td class="mono">${esc(d.url)}</td>
<td class="num">${d.attemptCount}</td>
<td>${esc(d.lastError ?? (d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : ''))}</td>
<td>${when(d.deadAt)}</td>
<td>${button('/admin/dead-letters/redrive', 'Redrive', csrf, `<input type="hidden" name="id" value="${esc(d.id)}">`)}</td>
</tr>`,
        )
        .join('\n')
    : '<tr><td colspan="7" class="muted">No dead letters.</td></tr>';

  const approvals = model.approvals.length
    ? model.approvals
        .map(
          (a) => `<tr>
<th scope="row" class="mono">${esc(a.id)}</th>
<td>${esc(a.summary)}<br><span class="muted mono">${esc(a.action)}</span></td>
<td>${a.status === 'pending' ? '<strong>pending</strong>' : esc(a.status)}${a.decision ? ` <span class="muted">by ${esc(a.decision.by.channel)}${a.decision.reason ? `: ${esc(a.decision.reason)}` : ''}</span>` : ''}</td>
<td>${when(a.requestedAt)}</td>
<td>${a.status === 'pending' ? when(a.expiresAt) : ''}</td>
<td>${a.status === 'pending' ? `${button(`/admin/approvals/${a.id}/approve`, 'Approve', csrf)}${button(`/admin/approvals/${a.id}/reject`, 'Reject', csrf)}` : ''}</td>
</tr>`,
        )
        .join('\n')
    : '<tr><td colspan="6" class="muted">No approvals.</td></tr>';

  const events = model.events.length
    ? model.events
        .map(
          (e) => `<tr>
<th scope="row"><a class="mono" href="/admin/events/${esc(e.id)}">${esc(e.id)}</a></th>
<td>${esc(e.source)}</td><td class="mono">${esc(e.type)}</td><td class="mono">${esc(e.subject ?? '')}</td><td>${when(e.receivedAt)}</td>
</tr>`,
        )
        .join('\n')
    : '<tr><td colspan="5" class="muted">No events match.</td></tr>';
  const filter = model.eventFilter;
  const sourceOptions = ['', ...model.knownSources].map((s) => `<option value="${esc(s)}"${s === (filter.source ?? '') ? ' selected' : ''}>${s ? esc(s) : 'any source'}</option>`).join('');
  const next = model.nextEventsCursor
    ? `<p><a href="/admin?${new URLSearchParams({ ...(filter.source ? { source: filter.source } : {}), ...(filter.type ? { type: filter.type } : {}), cursor: model.nextEventsCursor }).toString()}#events">Older events</a></p>`
    : '';

  return page(
    'Overview',
    `
<section aria-labelledby="sources"><h2 id="sources">Sources</h2>
<table><caption>Ingress in the last 24 hours</caption>
<thead><tr><th scope="col">Source</th><th scope="col">Verification</th><th scope="col">Last event</th><th scope="col">Accepted</th><th scope="col">Rejected</th><th scope="col">Duplicates</th><th scope="col">Accepted per hour</th></tr></thead>
<tbody>${sources}</tbody></table></section>

<section aria-labelledby="endpoints"><h2 id="endpoints">Endpoints</h2>
<table><caption>Webhook endpoints; success rate over their latest deliveries</caption>
<thead><tr><th scope="col">URL</th><th scope="col">Event types</th><th scope="col">State</th><th scope="col">Success</th><th scope="col">Last attempt</th><th scope="col">Health</th><th scope="col">Actions</th></tr></thead>
<tbody>${endpoints}</tbody></table></section>

<section aria-labelledby="dead-letters"><h2 id="dead-letters">Dead letters (${model.deadLetterTotal})</h2>
${model.deadLetterTotal > 0 ? `<p>${button('/admin/dead-letters/redrive', `Redrive all ${model.deadLetterTotal}`, csrf, '<input type="hidden" name="all" value="1">')}</p>` : ''}
<table><caption>Deliveries that ran out of attempts, newest first</caption>
<thead><tr><th scope="col">Delivery</th><th scope="col">Event type</th><th scope="col">URL</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Dead since</th><th scope="col">Action</th></tr></thead>
<tbody>${dead}</tbody></table></section>

<section aria-labelledby="approvals"><h2 id="approvals">Approvals</h2>
<table><caption>Pending first, then the latest decided</caption>
<thead><tr><th scope="col">Approval</th><th scope="col">What</th><th scope="col">Status</th><th scope="col">Requested</th><th scope="col">Expires</th><th scope="col">Decide</th></tr></thead>
<tbody>${approvals}</tbody></table></section>

<section aria-labelledby="events"><h2 id="events">Recent events</h2>
<form method="get" action="/admin">
<label for="f-source">Source</label><select id="f-source" name="source">${sourceOptions}</select>
<label for="f-type">Type glob</label><input id="f-type" name="type" value="${esc(filter.type ?? '')}" placeholder="whatsapp.message.*" maxlength="200">
<button type="submit">Filter</button>
</form>
<table><caption>Newest first; open one for its deliveries and attempts</caption>
<thead><tr><th scope="col">Event</th><th scope="col">Source</th><th scope="col">Type</th><th scope="col">Subject</th><th scope="col">Received</th></tr></thead>
<tbody>${events}</tbody></table>${next}</section>
`,
    notice,
  );
}

export function eventPage(event: { id: string; source: string; type: string; receivedAt: string; occurredAt: string; data: unknown }, deliveries: DeliveryView[]): string {
  const rows = deliveries.length
    ? deliveries
        .map(
          (d) => `<section aria-labelledby="d-${esc(d.id)}"><h3 id="d-${esc(d.id)}" class="mono">${esc(d.id)}</h3>
<p>To <span class="mono">${esc(d.url)}</span> (<span class="mono">${esc(d.subscriptionId)}</span>): <strong class="${d.status === 'succeeded' ? 'ok' : d.status === 'dead' ? 'bad' : ''}">${esc(d.status)}</strong> after ${d.attemptCount} attempt(s)${d.lastError ? `, last error: ${esc(d.lastError)}` : ''}</p>
<table><caption>Attempts</caption><thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Status</th><th scope="col">Time</th><th scope="col">Error</th></tr></thead>
<tbody>${d.attempts.map((a) => `<tr><th scope="row">${a.attempt}</th><td>${when(a.at)}</td><td>${a.statusCode ?? ''}</td><td class="num">${a.durationMs} ms</td><td>${esc([a.errorKind, a.error].filter(Boolean).join(': '))}</td></tr>`).join('') || '<tr><td colspan="5" class="muted">No attempt yet.</td></tr>'}</tbody></table></section>`,
        )
        .join('\n')
    : '<p class="muted">No deliveries: no enabled endpoint matched this event.</p>';
  return page(
    event.id,
    `<h2>Event <span class="mono">${esc(event.id)}</span></h2>
<table><tbody>
<tr><th scope="row">Source</th><td>${esc(event.source)}</td></tr>
<tr><th scope="row">Type</th><td class="mono">${esc(event.type)}</td></tr>
<tr><th scope="row">Occurred</th><td>${when(event.occurredAt)}</td></tr>
<tr><th scope="row">Received</th><td>${when(event.receivedAt)}</td></tr>
</tbody></table>
<details><summary>Data</summary><pre class="mono">${esc(JSON.stringify(event.data, null, 2))}</pre></details>
<h2>Deliveries</h2>
${rows}
<p><a href="/admin">Back to the overview</a></p>`,
  );
}

/** The rotated secret, shown once on its own page (never in a URL, never again). */
export function secretPage(subscriptionId: string, secret: string, graceUntil?: string): string {
  return page(
    'New secret',
    `<h2>New signing secret for <span class="mono">${esc(subscriptionId)}</span></h2>
<p>Copy it now: the hub does not show it again.</p>
<p class="secret mono">${esc(secret)}</p>
${graceUntil ? `<p>The previous secret keeps signing until ${when(graceUntil)}, so receivers can switch without losing a delivery.</p>` : ''}
<p><a href="/admin#endpoints">Back to the endpoints</a></p>`,
  );
}

export function errorPage(status: number, message: string): string {
  return page(`Error ${status}`, `<h2>${status}</h2><p>${esc(message)}</p><p><a href="/admin">Back to the overview</a></p>`);
}
