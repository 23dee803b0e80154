/**
 * The dashboard page: one HTML document, its CSS and script inline, nothing fetched but
 * `/dashboard/data` from its own origin. Every value from the data is put into the page as text
 * (`textContent`), never as markup, so nothing a backend or a client sent can become HTML.
 *
 * The script is a plain string (not a function's source) so the server can allow it by hash in
 * the Content-Security-Policy, and so no build step can rewrite it.
 */

const STYLE = `
:root{--red:#b91c1c;--red-bg:#fee2e2;--amber:#a16207;--amber-bg:#fef3c7;--green:#15803d;--grey:#6b7280;--line:#e5e7eb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f9fafb}
header{display:flex;flex-wrap:wrap;align-items:center;gap:12px;padding:12px 20px;background:#111827;color:#fff}
header h1{font-size:18px;margin:0 12px 0 0}
#updated{margin-left:auto;color:#d1d5db;font-size:13px}
main{padding:16px 20px;display:grid;gap:16px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;overflow-x:auto}
h2{font-size:15px;margin:0 0 8px}h3{font-size:13px;margin:14px 0 6px;color:#374151}
.cols{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
th{font-size:12px;font-weight:600;color:var(--grey)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.wrap{white-space:normal}
tr.failing td{background:var(--red-bg)}tr.attention td{background:var(--amber-bg)}
.chip{display:inline-block;padding:2px 9px;border-radius:999px;font-size:12px;font-weight:600;background:#e5e7eb;color:#111827}
.chip.failing{background:var(--red);color:#fff}.chip.attention{background:#f59e0b;color:#111827}
.chip.ok{background:var(--green);color:#fff}.chip.idle{background:#d1d5db;color:#374151}
.bad{color:var(--red);font-weight:600}.warn{color:var(--amber);font-weight:600}.muted{color:var(--grey)}
.name{font-weight:600}.sub{color:var(--grey);font-size:12px;margin-left:6px}
.tiles{display:flex;gap:12px;flex-wrap:wrap}
.tile{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:140px}
.tile b{display:block;font-size:22px}.tile.failing{border-color:var(--red);background:var(--red-bg)}
.tile.attention{border-color:#f59e0b;background:var(--amber-bg)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f6;padding:1px 4px;border-radius:4px}
#banner{padding:8px 20px;background:var(--red);color:#fff;font-weight:600}
#auth{padding:12px 20px;background:var(--amber-bg)}#auth input{width:360px;padding:4px}
.empty{color:var(--grey);font-style:italic}
`;

export const DASHBOARD_SCRIPT = `
(function () {
  'use strict';
  var REFRESH_MS = 3000;
  var TOKEN_KEY = 'interchange.dashboard.token';
  var $ = function (id) { return document.getElementById(id); };

  function h(tag, cls, children) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return el;
  }
  function pct(x) { return x === null ? '—' : (x * 100 < 10 && x > 0 ? (x * 100).toFixed(1) : Math.round(x * 100)) + '%'; }
  function ms(x) { return x === null ? '—' : x < 10 ? x.toFixed(1) + ' ms' : Math.round(x) + ' ms'; }
  function time(iso) { return new Date(iso).toLocaleTimeString(); }
  function chip(health, text) { return h('span', 'chip ' + health, [text || health]); }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
  function num(n, cls) { return h('td', 'num' + (cls ? ' ' + cls : ''), [n]); }

  function fill(id, heads, rows, empty) {
    var table = $(id);
    table.replaceChildren();
    var head = h('tr', '', heads.map(function (t) { return h('th', /^[#~]/.test(t) ? 'num' : '', [t.replace(/^[#~]/, '')]); }));
    table.appendChild(h('thead', '', [head]));
    var body = h('tbody', '', rows.length ? rows : [h('tr', '', [h('td', 'empty', [empty])])]);
    if (!rows.length) body.firstChild.firstChild.colSpan = heads.length;
    table.appendChild(body);
  }
  function row(health, cells, key) {
    var tr = h('tr', health === 'failing' || health === 'attention' ? health : '', cells);
    if (key) { tr.dataset.key = key; tr.dataset.health = health; }
    return tr;
  }

  function connectors(list) {
    fill('connectors', ['Health', 'Connector', '#Calls/min', '#Calls total', '#Errors', '#p50', '#p95', '#Cache hits', '#Queued', '#Retries', 'Circuit', 'Why'],
      list.map(function (c) {
        var m = c.lastMinute;
        return row(c.health, [
          h('td', '', [chip(c.health)]),
          h('td', '', [h('span', 'name', [c.title]), h('span', 'sub', [c.name + (c.quota ? ' · ' + c.quota : '')])]),
          num(m.calls), num(c.total.calls),
          num(m.errors ? m.errors + ' (' + pct(m.errorRate) + ')' : '0', m.errors ? 'bad' : ''),
          num(ms(m.p50Ms)), num(ms(m.p95Ms)), num(pct(m.cacheHitRate)),
          num(c.queued, c.queued ? 'warn' : ''), num(m.retries, m.retries ? 'warn' : ''),
          h('td', c.circuit === 'open' ? 'bad' : 'muted', [c.circuit]),
          h('td', 'wrap', [c.reasons.join(', ')])
        ], 'connector:' + c.name);
      }), 'No connectors.');
  }

  function graphql(list, win) {
    fill('graphql', ['Health', 'Type', '#Ops/min', '#Ops/s', '#Errors', '#Partial', '#p50', '#p95', '#Total'],
      list.map(function (t) {
        var m = t.lastMinute;
        return row(t.health, [h('td', '', [chip(t.health)]), h('td', 'name', [t.type]), num(m.operations), num(m.perSecond),
          num(pct(m.errorShare), m.errorShare ? 'bad' : ''), num(pct(m.partialShare), m.partialShare ? 'warn' : ''),
          num(ms(m.p50Ms)), num(ms(m.p95Ms)), num(t.total.operations)], 'graphql:' + t.type);
      }), 'No operations yet.');
  }

  function webhooks(list) {
    fill('webhooks', ['Health', 'Connector', '#Accepted', '#Duplicate', '#Rejected', '#Total accepted'],
      list.map(function (w) {
        var m = w.lastMinute;
        return row(w.health, [h('td', '', [chip(w.health)]), h('td', 'name', [w.connector]), num(m.accepted), num(m.duplicate),
          num(m.rejected, m.rejected ? 'bad' : ''), num(w.total.accepted)], 'webhook:' + w.connector);
      }), 'No webhooks received yet.');
  }

  function writes(w) {
    var tiles = $('write-tiles');
    tiles.replaceChildren(
      h('div', 'tile' + (w.pendingSteps ? ' attention' : ''), [h('b', '', [w.pendingSteps]), 'steps pending']),
      h('div', 'tile' + (w.retryScheduled ? ' attention' : ''), [h('b', '', [w.retryScheduled]), 'waiting to retry']),
      h('div', 'tile' + (w.deadSteps ? ' failing' : ''), [h('b', '', [w.deadSteps]), 'dead letters'])
    );
    fill('dead', ['Since', 'Mutation', 'Step', 'Endpoint', '#Attempts', 'Cause', 'Reason', 'Replay with'],
      w.deadLetters.map(function (d) {
        return row('failing', [h('td', '', [time(d.since)]), h('td', 'name', [d.mutation]), h('td', '', [d.step]),
          h('td', '', [d.connector + '.' + d.endpoint]), num(d.attempts), h('td', '', [d.cause]), h('td', 'wrap', [d.reason]),
          h('td', '', [h('code', '', [d.replay])])], 'dead:' + d.stepId);
      }), 'No dead letters.');
    fill('recent', ['Created', 'Mutation', 'Status', 'Steps', 'Operation id'],
      w.recent.map(function (op) {
        var health = op.status === 'COMPLETED' ? 'ok' : op.status === 'FAILED' ? 'failing' : 'attention';
        var steps = op.steps.map(function (s) { return s.name + ' ' + s.state.replace(/_/g, ' '); }).join(' · ');
        return row(health === 'ok' ? '' : health, [h('td', '', [time(op.createdAt)]), h('td', 'name', [op.mutation]),
          h('td', '', [chip(health, op.status)]), h('td', 'wrap', [steps]), h('td', '', [h('code', '', [op.id])])], 'op:' + op.id);
      }), 'No write operations yet.');
    fill('write-connectors', ['Connector', '#Succeeded/min', '#Retried/min', '#Dead/min', '#Succeeded total'],
      w.byConnector.map(function (c) {
        var m = c.lastMinute;
        return row(m.dead ? 'failing' : m.retried ? 'attention' : '', [h('td', 'name', [c.connector]), num(m.succeeded || 0),
          num(m.retried || 0, m.retried ? 'warn' : ''), num(m.dead || 0, m.dead ? 'bad' : ''), num(c.total.succeeded || 0)]);
      }), 'No write attempts yet.');
  }

  function summary(d) {
    var failing = d.connectors.filter(function (c) { return c.health === 'failing'; }).length;
    var attention = d.connectors.filter(function (c) { return c.health === 'attention'; }).length;
    var chips = [];
    if (failing) chips.push(chip('failing', failing + ' failing'));
    if (d.writes.deadSteps) chips.push(chip('failing', plural(d.writes.deadSteps, 'dead letter', 'dead letters')));
    if (attention) chips.push(chip('attention', plural(attention, 'needs', 'need') + ' attention'));
    if (d.writes.pendingSteps) chips.push(chip('attention', plural(d.writes.pendingSteps, 'write step', 'write steps') + ' pending'));
    if (!chips.length) chips.push(chip('ok', 'all normal'));
    $('summary').replaceChildren.apply($('summary'), chips);
    $('updated').textContent = 'updated ' + time(d.generatedAt) + ' · last-minute figures cover ' + d.windowSeconds + ' s';
  }

  function draw(d) {
    summary(d); connectors(d.connectors); graphql(d.graphql); webhooks(d.webhooks); writes(d.writes);
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }

  function refresh() {
    var token = sessionStorage.getItem(TOKEN_KEY);
    fetch('/dashboard/data', { headers: token ? { authorization: 'Bearer ' + token } : {}, cache: 'no-store' })
      .then(function (res) {
        $('auth').hidden = !(res.status === 401 || res.status === 403);
        if (!res.ok) throw new Error(res.status === 401 || res.status === 403 ? 'an admin token is needed' : 'the gateway answered ' + res.status);
        return res.json();
      })
      .then(function (d) { $('banner').hidden = true; draw(d); })
      .catch(function (e) { $('banner').hidden = false; $('banner').textContent = 'No fresh data: ' + e.message + '. Retrying.'; })
      .finally(function () { setTimeout(refresh, REFRESH_MS); });
  }

  $('auth-save').addEventListener('click', function () {
    sessionStorage.setItem(TOKEN_KEY, $('auth-token').value.trim());
    $('auth-token').value = '';
  });
  refresh();
})();
`;

export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Interchange · operations</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>Interchange · operations</h1><span id="summary"></span><span id="updated">loading…</span></header>
<div id="banner" hidden></div>
<div id="auth" hidden>The dashboard data needs a token with the <code>admin</code> scope:
  <input id="auth-token" type="password" autocomplete="off" placeholder="paste a bearer token"> <button id="auth-save" type="button">Use token</button></div>
<main>
<section><h2>Connectors</h2><table id="connectors"></table></section>
<div class="cols">
<section><h2>GraphQL operations</h2><table id="graphql"></table></section>
<section><h2>Webhooks</h2><table id="webhooks"></table></section>
</div>
<section><h2>Writes</h2><div class="tiles" id="write-tiles"></div>
<h3>Dead letters</h3><table id="dead"></table>
<h3>Recent operations</h3><table id="recent"></table>
<h3>Attempts by connector</h3><table id="write-connectors"></table>
</section>
</main>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
