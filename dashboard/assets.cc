#include "dashboard/assets.h"

namespace vane::dashboard {
namespace {

constexpr const char* kIndex = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vane dashboard</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header><a href="/" class="brand">Vane</a><span class="sub">progressive delivery</span>
<span id="live" class="live off" title="live updates">offline</span></header>
<main id="main"><p class="muted">Loading…</p></main>
</body>
</html>
)HTML";

constexpr const char* kCss = R"CSS(
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1d2330; background: #f4f6fa; }
header { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: #1d2330;
  color: #fff; }
header .brand { color: #fff; font-weight: 700; font-size: 18px; text-decoration: none; }
header .sub { color: #9aa4b8; flex: 1; }
.live { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #3c8d5a; }
.live.off { background: #8a3a3a; }
main { padding: 16px 20px; max-width: 1400px; }
h1 { font-size: 20px; margin: 4px 0 12px; }
h2 { font-size: 15px; margin: 20px 0 8px; color: #39425a; }
a { color: #2456c8; }
.muted { color: #77809a; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 12px; }
.toolbar input[type=search], select, input[type=text] { padding: 5px 8px; border: 1px solid #c5cbd8;
  border-radius: 4px; font: inherit; }
.chip { border: 1px solid #c5cbd8; background: #fff; border-radius: 14px; padding: 3px 10px;
  cursor: pointer; font: inherit; }
.chip.on { background: #2456c8; color: #fff; border-color: #2456c8; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #dde2ec; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eceff5; vertical-align: top; }
th { background: #f0f2f7; font-weight: 600; color: #4a5368; }
tr.attention td:first-child { border-left: 3px solid #d9822b; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; background: #e3e7ef; }
.Healthy, .Successful { background: #d6f0de; color: #20703c; }
.Progressing, .Running, .Pending { background: #dde8fb; color: #2456c8; }
.Paused, .Inconclusive { background: #fcebd2; color: #a35a0c; }
.Degraded, .Failed, .Error { background: #f8d9d9; color: #a02828; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #dde2ec; border-radius: 6px; padding: 10px 14px; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
.kv dt { color: #77809a; } .kv dd { margin: 0; }
.steps { list-style: none; padding: 0; margin: 0; }
.steps li { padding: 4px 8px 4px 26px; position: relative; }
.steps li::before { content: ""; position: absolute; left: 6px; top: 9px; width: 10px; height: 10px;
  border-radius: 50%; background: #c5cbd8; }
.steps li.done::before { background: #3c8d5a; }
.steps li.current { font-weight: 600; background: #eef3ff; border-radius: 4px; }
.steps li.current::before { background: #2456c8; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 8px 0; }
button.act { padding: 5px 12px; border: 1px solid #2456c8; background: #fff; color: #2456c8;
  border-radius: 4px; cursor: pointer; font: inherit; }
button.act.danger { border-color: #a02828; color: #a02828; }
button.act:disabled { opacity: .5; cursor: wait; }
#action-result { margin: 6px 0; padding: 6px 10px; border-radius: 4px; display: none; }
#action-result.ok { display: block; background: #d6f0de; color: #20703c; }
#action-result.refused, #action-result.error { display: block; background: #f8d9d9;
  color: #a02828; }
.bar { height: 10px; background: #e3e7ef; border-radius: 5px; overflow: hidden; width: 200px;
  display: inline-block; vertical-align: middle; }
.bar span { display: block; height: 100%; background: #2456c8; }
svg.chart { background: #fafbfd; border: 1px solid #eceff5; }
code { background: #f0f2f7; padding: 0 4px; border-radius: 3px; }
)CSS";

constexpr const char* kJs = R"JS('use strict';
// The dashboard's pages: built from the JSON API with DOM calls (text only, never innerHTML of
// data), refreshed when the server's event stream says something changed.
const $ = (sel) => document.querySelector(sel);
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
function show(...nodes) {
  $('#main').replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
}
const badge = (phase) => el('span', {class: 'badge ' + phase}, phase || '-');
async function getJSON(url) {
  const r = await fetch(url, {credentials: 'same-origin'});
  if (!r.ok) {
    const e = new Error(r.status + ' ' + (await r.text()));
    e.status = r.status;
    throw e;
  }
  return r.json();
}
// In-cluster, a 401 means: sign in with a bearer token (kept by the server in an HttpOnly cookie).
function signIn(message) {
  const token = el('input', {type: 'password', id: 'login-token', size: 60,
    placeholder: 'bearer token, e.g. from: kubectl create token NAME'});
  const out = el('p', {id: 'login-result', class: 'muted'}, message);
  const submit = async (ev) => {
    ev.preventDefault();
    const r = await fetch('/api/login', {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify({token: token.value})});
    if (r.ok) { render(); connect(); } else { out.textContent = r.status + ': ' + (await r.text()); }
  };
  show(el('h1', {}, 'Sign in'),
    el('form', {id: 'login', onsubmit: submit}, token, ' ', el('button', {class: 'act', type: 'submit'}, 'Sign in')), out);
}

// ---- routing and live updates ----
const route = () => {
  const m = location.pathname.match(/^\/rollouts\/([^/]+)\/([^/]+)$/);
  return m ? {ns: decodeURIComponent(m[1]), name: decodeURIComponent(m[2])} : null;
};
let refreshTimer = null;
function refreshSoon() { clearTimeout(refreshTimer); refreshTimer = setTimeout(render, 100); }
let source = null;
function connect() {
  if (source) source.close();
  const es = source = new EventSource('/api/stream');
  es.onopen = () => { $('#live').textContent = 'live'; $('#live').classList.remove('off'); };
  es.onerror = () => { $('#live').textContent = 'reconnecting'; $('#live').classList.add('off'); };
  es.addEventListener('change', (ev) => {
    const d = JSON.parse(ev.data), r = route();
    if (!r) { if (d.all || d.rollouts.length) refreshSoon(); return; }
    if (d.all || d.namespaces.includes(r.ns)) refreshSoon();
  });
}

// ---- the Rollout list ----
const filters = () => new URLSearchParams(location.search);
function setFilter(key, value) {
  const q = filters();
  if (value) q.set(key, value); else q.delete(key);
  history.replaceState(null, '', '/' + (q.toString() ? '?' + q : ''));
  render();
}
async function renderList() {
  const q = filters();
  const data = await getJSON('/api/rollouts?' + q.toString());
  const phases = ['Healthy', 'Progressing', 'Paused', 'Degraded'];
  const nsSelect = el('select', {id: 'filter-namespace', onchange: (e) => setFilter('namespace', e.target.value)},
    el('option', {value: ''}, 'All namespaces'),
    data.namespaces.map((n) => el('option', {value: n, selected: q.get('namespace') === n}, n)));
  const chips = phases.map((p) => el('button', {class: 'chip' + (q.get('phase') === p ? ' on' : ''),
    'data-phase': p, onclick: () => setFilter('phase', q.get('phase') === p ? '' : p)},
    p + ' ' + (data.counts[p] || 0)));
  const search = el('input', {type: 'search', id: 'filter-name', placeholder: 'Filter by name',
    value: q.get('name') || '', onchange: (e) => setFilter('name', e.target.value)});
  const attention = el('label', {}, el('input', {type: 'checkbox', id: 'filter-attention',
    checked: q.get('attention') === 'true',
    onchange: (e) => setFilter('attention', e.target.checked ? 'true' : '')}), ' needs attention');
  const rows = data.items.map((r) => el('tr', {class: r.needsAttention ? 'attention' : '',
    'data-rollout': r.namespace + '/' + r.name, 'data-phase': r.phase},
    el('td', {}, el('a', {href: '/rollouts/' + encodeURIComponent(r.namespace) + '/' +
      encodeURIComponent(r.name)}, r.name)),
    el('td', {}, r.namespace), el('td', {}, badge(r.phase), r.aborted ? ' aborted' : ''),
    el('td', {}, r.strategy), el('td', {}, r.step || '-'),
    el('td', {}, r.setWeight || '-'),
    el('td', {}, r.replicas.ready + '/' + r.replicas.desired),
    el('td', {}, r.images.join(', ')),
    el('td', {class: 'muted'}, r.message)));
  show(
    el('h1', {}, 'Rollouts ', el('span', {class: 'muted', id: 'total'}, '(' + data.total + ')')),
    el('div', {class: 'toolbar'}, nsSelect, chips, search, attention),
    el('table', {id: 'rollouts'}, el('thead', {}, el('tr', {}, ['Name', 'Namespace', 'Status',
      'Strategy', 'Step', 'Set weight', 'Ready', 'Images', 'Message'].map((h) => el('th', {}, h)))),
    el('tbody', {}, rows)),
    data.items.length ? null : el('p', {class: 'muted', id: 'empty'}, 'No Rollouts match.'));
}

// ---- the Rollout page ----
let lastResult = null;
async function act(r, action, body) {
  document.querySelectorAll('button.act').forEach((b) => b.disabled = true);
  let result;
  try {
    const resp = await fetch('/api/rollouts/' + encodeURIComponent(r.ns) + '/' +
      encodeURIComponent(r.name) + '/' + action, {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body || {})});
    const text = await resp.text();
    try { result = JSON.parse(text); } catch (e) { result = {ok: false, code: resp.status, message: text}; }
    result.code = resp.status;
  } catch (e) { result = {ok: false, code: 0, message: String(e)}; }
  lastResult = {action, ...result};
  await render();
}
function actionBar(r, d) {
  const revs = d.replicaSets.map((rs) => rs.revision).filter((v, i, a) => a.indexOf(v) === i);
  const revSelect = el('select', {id: 'undo-revision'}, el('option', {value: '0'}, 'previous'),
    revs.map((v) => el('option', {value: String(v)}, 'revision ' + v)));
  const containers = el('input', {type: 'text', id: 'image-container', placeholder: 'container',
    size: 10});
  const image = el('input', {type: 'text', id: 'image-value', placeholder: 'image', size: 24});
  const b = (id, label, fn, danger) => el('button', {class: 'act' + (danger ? ' danger' : ''),
    id: 'action-' + id, onclick: fn}, label);
  const res = el('div', {id: 'action-result'});
  if (lastResult) {
    res.className = lastResult.ok ? 'ok' : lastResult.code === 403 ? 'refused' : 'error';
    res.dataset.code = lastResult.code;
    res.textContent = lastResult.action + ': ' + lastResult.message;
  }
  return [el('div', {class: 'actions'},
    b('promote', 'Promote', () => act(r, 'promote')),
    b('promote-full', 'Promote full', () => act(r, 'promote-full')),
    b('abort', 'Abort', () => act(r, 'abort'), true),
    b('retry', 'Retry', () => act(r, 'retry')),
    b('pause', 'Pause', () => act(r, 'pause')),
    b('restart', 'Restart', () => act(r, 'restart')),
    el('span', {class: 'muted'}, '|'), revSelect,
    b('undo', 'Undo', () => act(r, 'undo', {revision: Number(revSelect.value)})),
    el('span', {class: 'muted'}, '|'), containers, image,
    b('set-image', 'Set image', () => act(r, 'set-image', {container: containers.value,
      image: image.value}))), res];
}
function weightBar(label, value) {
  const n = parseInt(value, 10) || 0;
  const fill = el('span', {});
  fill.style.width = Math.max(0, Math.min(100, n)) + '%';  // CSSOM, allowed by the CSP
  return [el('dt', {}, label), el('dd', {}, el('span', {class: 'bar'}, fill),
    ' ' + (value || '0') + '%')];
}
function chart(metric) {
  const values = metric.measurements.map((m) => {
    const x = String(m.value).match(/-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/);
    return x ? parseFloat(x[0]) : null;
  });
  const nums = values.filter((v) => v !== null);
  const cond = (metric.successCondition || metric.failureCondition || '')
    .match(/([<>]=?)\s*(-?[0-9.]+)/);
  const threshold = cond ? parseFloat(cond[2]) : null;
  const all = nums.concat(threshold === null ? [] : [threshold]);
  const W = 320, H = 90, P = 8;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'chart'); svg.setAttribute('width', W); svg.setAttribute('height', H);
  if (!all.length) return svg;
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi === lo) { hi += 1; lo -= 1; }
  const y = (v) => H - P - (v - lo) / (hi - lo) * (H - 2 * P);
  const x = (i) => P + (values.length < 2 ? 0 : i / (values.length - 1) * (W - 2 * P));
  if (threshold !== null) {
    const l = document.createElementNS(ns, 'line');
    l.setAttribute('x1', P); l.setAttribute('x2', W - P);
    l.setAttribute('y1', y(threshold)); l.setAttribute('y2', y(threshold));
    l.setAttribute('stroke', '#d9822b'); l.setAttribute('stroke-dasharray', '4 3');
    svg.append(l);
  }
  values.forEach((v, i) => {
    if (v === null) return;
    const c = document.createElementNS(ns, 'circle');
    const ph = metric.measurements[i].phase;
    c.setAttribute('cx', x(i)); c.setAttribute('cy', y(v)); c.setAttribute('r', 4);
    c.setAttribute('fill', ph === 'Successful' ? '#3c8d5a' : ph === 'Failed' ? '#a02828' : '#77809a');
    const t = document.createElementNS(ns, 'title');
    t.textContent = metric.measurements[i].value + ' (' + ph + ')';
    c.append(t); svg.append(c);
  });
  return svg;
}
async function renderRollout(r) {
  let d;
  try { d = await getJSON('/api/rollouts/' + encodeURIComponent(r.ns) + '/' + encodeURIComponent(r.name)); }
  catch (e) {
    if (e.status === 401) throw e;
    show(el('p', {}, el('a', {href: '/'}, '← Rollouts')), el('p', {id: 'error'}, String(e)));
    return;
  }
  const s = d.steps;
  const steps = s.steps.length ? el('ol', {class: 'steps', id: 'steps'}, s.steps.map((st) =>
    el('li', {class: st.state, 'data-state': st.state}, (st.index + 1) + '. ' + st.text,
      st.state === 'current' && s.paused ? ' (paused)' : ''))) :
    el('p', {class: 'muted'}, 'No steps (' + d.strategy + ').');
  const vss = d.virtualServices.length ? d.virtualServices.map((vs) => el('div', {class: 'card'},
    el('strong', {}, 'VirtualService ' + vs.namespace + '/' + vs.name), vs.missing ?
      el('p', {class: 'muted'}, 'not found') : el('table', {}, vs.routes.map((rt) =>
        rt.destinations.map((ds) => el('tr', {}, el('td', {}, rt.name || '(unnamed)'),
          el('td', {}, ds.host + (ds.subset ? ' / ' + ds.subset : '')),
          el('td', {}, ds.weight + '%'))))))) : [el('p', {class: 'muted'}, 'No traffic router.')];
  const revisions = d.replicaSets.map((rs) => el('div', {class: 'card', 'data-replicaset': rs.name},
    el('strong', {}, 'Revision ' + rs.revision), ' ',
    ['stable', 'canary', 'active', 'preview'].filter((t) => rs[t]).map((t) => el('span', {class: 'badge'}, t)),
    el('dl', {class: 'kv'}, el('dt', {}, 'ReplicaSet'), el('dd', {}, rs.name, ' ', badge(rs.status)),
      el('dt', {}, 'Images'), el('dd', {}, rs.images.join(', ')),
      el('dt', {}, 'Pods'), el('dd', {}, rs.available + '/' + rs.replicas + ' available')),
    el('ul', {}, rs.pods.map((p) => el('li', {}, p.name + ' ', badge(p.status), ' ready ' + p.ready +
      (p.restarts ? ', restarts ' + p.restarts : ''))))));
  const runs = d.analysisRunDetails.map((a) => el('div', {class: 'card', 'data-analysisrun': a.name},
    el('strong', {}, a.name), ' ', badge(a.phase), a.message ? el('p', {class: 'muted'}, a.message) : null,
    a.metrics.map((m) => el('div', {},
      el('h2', {}, m.name, ' ', badge(m.phase || 'Pending')),
      el('p', {}, 'Condition: ', el('code', {}, m.successCondition || '-'),
        m.failureCondition ? [' fail when ', el('code', {}, m.failureCondition)] : ''),
      chart(m),
      el('p', {class: 'verdict'}, m.verdict),
      el('p', {class: 'muted'}, 'successful ' + m.successful + ', failed ' + m.failed +
        ', inconclusive ' + m.inconclusive + ', error ' + m.error)))));
  const events = el('table', {id: 'events'}, el('tr', {}, ['Time', 'Type', 'Object', 'Reason', 'Message']
    .map((h) => el('th', {}, h))), d.events.map((e) => el('tr', {}, el('td', {}, e.time),
      el('td', {}, e.type), el('td', {}, e.object), el('td', {}, e.reason), el('td', {}, e.message))));
  show(
    el('p', {}, el('a', {href: '/'}, '← Rollouts')),
    el('h1', {}, d.namespace + '/' + d.name + ' ', el('span', {id: 'phase', 'data-phase': d.status}, badge(d.status))),
    d.message ? el('p', {class: 'muted', id: 'message'}, d.message) : null,
    ...actionBar(r, d),
    el('div', {class: 'cards'},
      el('div', {class: 'card'}, el('h2', {}, 'Summary'), el('dl', {class: 'kv'},
        el('dt', {}, 'Strategy'), el('dd', {}, d.strategy),
        el('dt', {}, 'Step'), el('dd', {id: 'step'}, d.step || '-'),
        weightBar('Set weight', d.setWeight), weightBar('Actual weight', d.actualWeight),
        el('dt', {}, 'Replicas'), el('dd', {}, d.replicas.ready + ' ready / ' + d.replicas.desired + ' desired'),
        el('dt', {}, 'Images'), el('dd', {}, d.images.map((i) => i.image + (i.tags.length ? ' (' + i.tags.join(', ') + ')' : '')).join('; ')))),
      el('div', {class: 'card'}, el('h2', {}, 'Steps'), steps)),
    el('h2', {}, 'Traffic'), el('div', {class: 'cards'}, vss),
    el('h2', {}, 'Revisions'), el('div', {class: 'cards', id: 'revisions'}, revisions),
    el('h2', {}, 'Analysis'), runs.length ? el('div', {class: 'cards'}, runs) : el('p', {class: 'muted'}, 'No analysis runs.'),
    el('h2', {}, 'Events'), events);
}

let rendering = null;
async function render() {
  if (rendering) { refreshSoon(); return; }
  const r = route();
  rendering = r ? renderRollout(r) : renderList();
  try { await rendering; } catch (e) {
    if (e.status === 401) signIn(String(e)); else show(el('p', {id: 'error'}, String(e)));
  }
  rendering = null;
  document.body.dataset.rendered = String(Date.now());
}
window.addEventListener('DOMContentLoaded', () => { connect(); render(); });
)JS";

http::Response withType(const char* body, const char* type) {
  http::Response r;
  r.headers.emplace_back("Content-Type", type);
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.body = body;
  return r;
}

}  // namespace

http::Response asset(const std::string& name) {
  if (name == "index.html") return withType(kIndex, "text/html; charset=utf-8");
  if (name == "app.css") return withType(kCss, "text/css; charset=utf-8");
  if (name == "app.js") return withType(kJs, "text/javascript; charset=utf-8");
  return http::Response::text(404, "no such file: " + name + "\n");
}

}  // namespace vane::dashboard
