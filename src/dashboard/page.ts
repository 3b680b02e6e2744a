// The web dashboard's single page: one self-contained HTML document (inline CSS and JS, no
// external resources, nothing fetched but the API under the same origin) served by the
// dashboard server at `/`.
//
// Contracts with the dashboard server (proxy.ts):
// - Every API call is a relative path on the page's origin (`/version`, `/api/v1/...`,
//   `/apis/apps/v1/...`), answered as the Kubernetes API answers it; errors are Status JSON.
// - Writes (PATCH, DELETE) carry `X-Everynode-Dashboard: 1`; GETs carry no extra header.
// - The page needs `script-src 'unsafe-inline'`, `style-src 'unsafe-inline'` and
//   `connect-src 'self'` from the page's Content-Security-Policy, nothing else.
//
// Contracts with tests (data-testid):
// - Header: `summary-nodes` ("R/T nodes ready"), `summary-daemonsets`, `summary-unready`,
//   `server-version`, `last-updated`, `refresh-button`, `error-banner`.
// - DaemonSets: `ds-table`; rows `ds-row` with data-name="NS/NAME"; cells `ds-desired`,
//   `ds-current`, `ds-ready`, `ds-updated`, `ds-available` (plain numbers); `ds-progress` with
//   data-complete="true|false".
// - Matrix: `matrix`; cells `matrix-cell` with data-node, data-ds="NS/NAME" and data-state
//   ready|pending|failed|missing|none; `matrix-note` when nodes are cut at 200.
// - Nodes: `node-table`; rows `node-row` with data-name; cell `node-status`.
// - Detail of the selected DaemonSet: `ds-detail`; `restart-button`; rows `pod-row`
//   (data-name="NS/NAME") with `pod-logs-button` and `pod-delete-button`; `log-view` (<pre>,
//   reloaded after each refresh while the `log-follow` checkbox is on, as it is by default);
//   `revision-row` (data-revision, data-current); `action-status`.
// - Events: `events`; rows `event-row` (data-type Normal|Warning).
// - `window.EVERYNODE_NO_CONFIRM === true` skips the confirm() before restart and delete.
// - `?refresh=MS` sets the auto-refresh interval (default 2000); 0 turns it off.
//
// The CSS and JS are String.raw templates without backticks or dollar-brace sequences, so they
// reach the browser byte for byte; the script contains no closing script tag.

const STYLE = String.raw`
:root {
  --fg: #1f2328; --muted: #656d76; --border: #d0d7de; --soft: #f6f8fa; --accent: #0969da;
  --ready: #2da44e; --pending: #d4a72c; --failed: #cf222e; --missing: #afb8c1; --none: #eaeef2;
  --warn-bg: #fff8c5; --err-bg: #ffebe9; --sel-bg: #ddf4ff;
}
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; padding: 8px 16px; background: var(--soft); border-bottom: 1px solid var(--border); }
header h1 { margin: 0; font-size: 17px; letter-spacing: .2px; display: flex; align-items: center; gap: 6px; }
header .version { color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.chips { display: flex; gap: 6px; flex-wrap: wrap; }
.chip { padding: 2px 9px; border-radius: 999px; border: 1px solid var(--border); background: #fff; white-space: nowrap; }
.chip.bad { border-color: var(--failed); color: var(--failed); }
.chip.good { border-color: var(--ready); color: #1a7f37; }
.spacer { flex: 1; }
.updated { color: var(--muted); font-size: 12px; }
.updated.stale { color: var(--failed); }
button { font: inherit; padding: 2px 10px; border: 1px solid var(--border); border-radius: 6px; background: #fff; color: var(--fg); cursor: pointer; }
button:hover { background: var(--soft); }
button:disabled { opacity: .55; cursor: default; }
button.danger { color: var(--failed); }
button.primary { border-color: var(--accent); color: var(--accent); }
#banner { margin: 8px 16px 0; padding: 8px 12px; border: 1px solid var(--failed); border-radius: 6px; background: var(--err-bg); color: #82071e; }
main { padding: 4px 16px 24px; }
section { margin-top: 14px; }
section > h2 { font-size: 14px; margin: 0 0 6px; display: flex; align-items: baseline; gap: 10px; }
section > h2 .sub { font-weight: normal; color: var(--muted); font-size: 12px; }
.scroll { overflow: auto; border: 1px solid var(--border); border-radius: 6px; }
table.grid { border-collapse: collapse; width: 100%; }
table.grid th, table.grid td { padding: 3px 8px; border-bottom: 1px solid var(--none); text-align: left; vertical-align: top; }
table.grid thead th { position: sticky; top: 0; background: var(--soft); font-weight: 600; color: var(--muted); font-size: 12px; white-space: nowrap; z-index: 1; }
table.grid tbody tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
td.empty { color: var(--muted); text-align: center; padding: 14px; }
.muted { color: var(--muted); }
tr.ds { cursor: pointer; }
tr.ds:hover td { background: var(--soft); }
tr.ds.selected td { background: var(--sel-bg); }
tr.ds:focus { outline: 2px solid var(--accent); outline-offset: -2px; }
.ns { color: var(--muted); }
.tag { display: inline-block; margin: 0 3px 2px 0; padding: 0 5px; border-radius: 4px; background: var(--soft); border: 1px solid var(--none); font-size: 11px; white-space: nowrap; }
.status-ok { color: #1a7f37; }
.status-bad { color: var(--failed); font-weight: 600; }
.status-warn { color: #9a6700; font-weight: 600; }
.prog { display: inline-flex; flex-direction: column; gap: 2px; width: 90px; vertical-align: middle; margin-right: 6px; }
.bar { height: 5px; background: var(--none); border-radius: 3px; overflow: hidden; }
.bar > span { display: block; height: 100%; }
.bar .upd { background: var(--accent); }
.bar .avl { background: var(--ready); }
.prog-text { font-size: 12px; color: var(--muted); white-space: nowrap; }
.nowrap { white-space: nowrap; }
.detail-events { max-height: 260px; }
.prog-text.done { color: #1a7f37; }
#matrix-wrap { max-height: 520px; }
table.matrix { border-collapse: separate; border-spacing: 2px; }
table.matrix th { font-weight: normal; background: #fff; }
table.matrix thead th { position: sticky; top: 0; z-index: 2; vertical-align: bottom; padding: 4px 0; }
table.matrix thead th.corner { left: 0; z-index: 3; }
table.matrix thead .vlabel { writing-mode: vertical-rl; transform: rotate(180deg); max-height: 130px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 11px; cursor: pointer; }
table.matrix thead th.selected .vlabel { color: var(--accent); font-weight: 600; }
table.matrix tbody th { position: sticky; left: 0; z-index: 1; text-align: right; padding: 0 8px 0 4px; white-space: nowrap; font-size: 12px; }
table.matrix tbody th.notready { color: var(--failed); }
td.cell { width: 16px; min-width: 16px; height: 16px; padding: 0; border-radius: 3px; cursor: pointer; }
.st-ready { background: var(--ready); }
.st-pending { background: var(--pending); }
.st-failed { background: var(--failed); }
.st-missing { background: repeating-linear-gradient(45deg, var(--missing) 0 3px, #d8dee4 3px 6px); }
.st-none { background: #fff; box-shadow: inset 0 0 0 1px var(--none); }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; font-size: 12px; color: var(--muted); align-items: center; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -2px; margin-right: 4px; }
.note { margin: 4px 0; color: #9a6700; font-size: 12px; }
#detail { border: 1px solid var(--accent); border-radius: 8px; padding: 8px 12px 12px; background: #fff; }
#detail .head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
#detail .head h2 { margin: 0; font-size: 15px; }
#detail .cols { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; margin-top: 8px; }
@media (max-width: 900px) { #detail .cols { grid-template-columns: minmax(0, 1fr); } }
#detail h3 { font-size: 13px; margin: 8px 0 4px; }
.action { font-size: 12px; }
.action.err { color: var(--failed); }
.action.ok { color: #1a7f37; }
tr.current td { font-weight: 600; }
#log-box { margin-top: 10px; }
#log-box .loghead { display: flex; align-items: center; gap: 10px; margin-bottom: 4px; }
pre.log { margin: 0; max-height: 360px; overflow: auto; padding: 8px 10px; background: #0d1117; color: #e6edf3; border-radius: 6px; font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all; }
tr.warning td { background: var(--warn-bg); }
tr.warning td.type { color: #9a6700; font-weight: 600; }
#events-wrap { max-height: 420px; }
td.msg { min-width: 260px; }
`;

const SCRIPT = String.raw`
'use strict';
(function () {
  /** Auto-refresh interval in ms from ?refresh=MS (default 2000; 0 = off; invalid = default). */
  var INTERVAL = (function () {
    var raw = new URLSearchParams(location.search).get('refresh');
    if (raw === null || raw.trim() === '') return 2000;
    var n = Number(raw);
    return isFinite(n) && n >= 0 ? Math.floor(n) : 2000;
  })();
  /** A request taking longer than this is aborted, so one refresh never waits forever. */
  var REQUEST_TIMEOUT_MS = 15000;
  var MATRIX_MAX_NODES = 200;
  var EVENTS_MAX = 50;
  var DETAIL_EVENTS_MAX = 20;
  var LOG_TAIL_LINES = 200;
  /** Container waiting reasons that make a pod count as failed in the matrix. */
  var FAILED_REASONS = {
    CrashLoopBackOff: true, ErrImagePull: true, Error: true, ImagePullBackOff: true, InvalidImageName: true,
    CreateContainerConfigError: true, CreateContainerError: true, RunContainerError: true
  };
  /** Taints every DaemonSet pod tolerates (the DaemonSet controller adds these tolerations). */
  var DS_TOLERATED_TAINTS = {
    'node.kubernetes.io/not-ready': true, 'node.kubernetes.io/unreachable': true, 'node.kubernetes.io/disk-pressure': true,
    'node.kubernetes.io/memory-pressure': true, 'node.kubernetes.io/pid-pressure': true,
    'node.kubernetes.io/unschedulable': true, 'node.kubernetes.io/network-unavailable': true
  };

  /**
   * Everything the page shows. Lists keep their last good value when a refresh fails.
   * selected: "NS/NAME" of the DaemonSet in the detail panel, or null (mirrored in location.hash).
   * revisions: {key: selected at fetch time, items, error} for the selected DaemonSet.
   */
  var state = {
    loaded: false, version: null, nodes: [], dss: [], pods: [], events: [],
    podsByDs: new Map(), lastUpdated: null, error: null,
    selected: selectionFromHash(), revisions: null, action: null, busy: false
  };

  // ---- helpers --------------------------------------------------------------------------

  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  /** HTML-escapes any value (null/undefined become ''); safe in text and quoted attributes. */
  function esc(v) {
    return v === null || v === undefined ? '' : String(v).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }
  /** A non-negative count from an API field; anything else is 0. */
  function count(v) {
    var n = Number(v);
    return isFinite(n) && n > 0 ? Math.floor(n) : 0;
  }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
  /** Age like kubectl: 45s, 3m, 2h, 5d; '' for a missing or unparsable timestamp. */
  function age(ts, now) {
    var t = Date.parse(ts);
    if (!isFinite(t)) return '';
    var s = Math.max(0, Math.floor((now - t) / 1000));
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm';
    var h = Math.floor(m / 60);
    if (h < 24) return h + 'h';
    return Math.floor(h / 24) + 'd';
  }
  function ageCell(ts, now) { return '<td class="num" title="' + esc(ts) + '">' + esc(age(ts, now)) + '</td>'; }
  function meta(o) { return (o && o.metadata) || {}; }
  function key(o) { return meta(o).namespace + '/' + meta(o).name; }
  function byName(a, b) { return String(meta(a).name).localeCompare(String(meta(b).name), undefined, { numeric: true }); }
  function byKey(a, b) { return key(a).localeCompare(key(b), undefined, { numeric: true }); }
  function $(id) { return document.getElementById(id); }
  /** Replaces el's content only when it changed: no flicker, hover and text selection survive. */
  function setHtml(el, html) {
    if (el._html !== html) { el.innerHTML = html; el._html = html; }
  }
  function confirmed(question) {
    return window.EVERYNODE_NO_CONFIRM === true || window.confirm(question);
  }

  // ---- API ------------------------------------------------------------------------------

  /**
   * One request to the API under this origin. Resolves with the body text of a 2xx answer;
   * rejects with an Error whose message is the Status message of an error answer, or
   * "cannot reach the API server" when the request fails on the network.
   */
  async function request(method, path, opts) {
    opts = opts || {};
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, REQUEST_TIMEOUT_MS);
    var headers = { Accept: opts.accept || 'application/json' };
    if (method !== 'GET') headers['X-Everynode-Dashboard'] = '1';
    var init = { method: method, headers: headers, signal: ctl.signal, cache: 'no-store', credentials: 'same-origin' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = opts.contentType || 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    var res, text;
    try {
      res = await fetch(path, init);
      text = await res.text();
    } catch (e) {
      throw new Error(ctl.signal.aborted ? 'cannot reach the API server (no answer within ' + REQUEST_TIMEOUT_MS / 1000 + ' s)' : 'cannot reach the API server');
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) throw new Error(errorMessage(res, text));
    return text;
  }
  /** The message of a Status body, else the HTTP status and the start of the body. */
  function errorMessage(res, text) {
    try {
      var st = JSON.parse(text);
      if (st && typeof st.message === 'string' && st.message !== '') return st.message;
    } catch (e) { /* not JSON: fall through */ }
    var snippet = (text || '').trim().slice(0, 200);
    return 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '') + (snippet ? ': ' + snippet : '');
  }
  async function getJSON(path) {
    var text = await request('GET', path);
    try { return JSON.parse(text); } catch (e) { throw new Error('invalid JSON from ' + path); }
  }
  function items(list) { return list && Array.isArray(list.items) ? list.items : []; }
  function enc(s) { return encodeURIComponent(s); }

  // ---- refresh loop ---------------------------------------------------------------------
  // At most one refresh runs at a time. A refresh asked for while one runs (button, selection,
  // write) runs right after it; the timer is armed only when a refresh has finished.

  var running = false, again = false, timer = null;

  function requestRefresh() {
    if (running) { again = true; return; }
    runRefresh();
  }

  // On a large cluster a refresh (four full lists) takes long: the next one waits at least
  // four times as long as the last took, so the page never keeps the server more than ~20%
  // busy, whatever the interval asked for.
  async function runRefresh() {
    clearTimeout(timer);
    timer = null;
    running = true;
    var started = Date.now();
    try {
      await load();
    } finally {
      running = false;
      render();
      if (openLog && $('log-follow').checked) showLog(openLog.ns, openLog.pod, openLog.container, true);
      if (again) { again = false; runRefresh(); }
      else if (INTERVAL > 0) timer = setTimeout(runRefresh, Math.max(INTERVAL, 4 * (Date.now() - started)));
    }
  }

  /** Fetches the four lists (and /version, and the selected DaemonSet's revisions) in parallel. */
  async function load() {
    var sel = state.selected;
    var paths = ['/api/v1/nodes', '/apis/apps/v1/daemonsets', '/api/v1/pods', '/api/v1/events'];
    var jobs = paths.map(getJSON);
    jobs.push(state.version ? Promise.resolve(null) : getJSON('/version'));
    jobs.push(sel ? getJSON('/apis/apps/v1/namespaces/' + enc(sel.split('/')[0]) + '/controllerrevisions') : Promise.resolve(null));
    var r = await Promise.allSettled(jobs);
    var failure = null;
    for (var i = 0; i < 4; i++) if (r[i].status === 'rejected') { failure = failure || r[i].reason.message; }
    if (r[0].status === 'fulfilled') state.nodes = items(r[0].value).slice().sort(byName);
    if (r[1].status === 'fulfilled') state.dss = items(r[1].value).slice().sort(byKey);
    if (r[2].status === 'fulfilled') state.pods = items(r[2].value);
    if (r[3].status === 'fulfilled') state.events = items(r[3].value).slice().sort(function (a, b) { return eventTime(b) - eventTime(a); });
    if (r[4].status === 'fulfilled' && r[4].value) state.version = r[4].value.gitVersion || null;
    if (sel && sel === state.selected) {
      state.revisions = r[5].status === 'fulfilled'
        ? { key: sel, items: items(r[5].value), error: null }
        : { key: sel, items: state.revisions && state.revisions.key === sel ? state.revisions.items : [], error: r[5].reason.message };
    }
    indexPods();
    // Until every list has loaded once, the tables say "loading…" rather than "no items".
    state.loaded = state.loaded || !failure;
    if (failure) { state.error = failure; } else { state.error = null; state.lastUpdated = new Date(); }
  }

  // ---- derived data ---------------------------------------------------------------------

  /** The DaemonSet uid a pod belongs to: its controller ownerReference of kind DaemonSet. */
  function ownerDsUid(pod) {
    var refs = meta(pod).ownerReferences || [];
    for (var i = 0; i < refs.length; i++) {
      if (refs[i].controller === true && refs[i].kind === 'DaemonSet') return refs[i].uid;
    }
    return null;
  }
  /** state.podsByDs: DaemonSet uid -> Map(node name -> pods on that node, '' for unbound). */
  function indexPods() {
    var m = new Map();
    state.pods.forEach(function (p) {
      var uid = ownerDsUid(p);
      if (!uid) return;
      var byNode = m.get(uid);
      if (!byNode) { byNode = new Map(); m.set(uid, byNode); }
      var node = (p.spec && p.spec.nodeName) || '';
      var list = byNode.get(node);
      if (!list) byNode.set(node, list = []);
      list.push(p);
    });
    state.podsByDs = m;
  }
  function podsOf(ds) {
    var out = [];
    var byNode = state.podsByDs.get(meta(ds).uid);
    if (byNode) byNode.forEach(function (list) { out.push.apply(out, list); });
    return out;
  }
  function conditionStatus(obj, type) {
    var conds = (obj.status && obj.status.conditions) || [];
    for (var i = 0; i < conds.length; i++) if (conds[i].type === type) return conds[i].status;
    return undefined;
  }
  /** 'Ready' | 'NotReady' | 'Unknown' from the node's Ready condition. */
  function nodeReadiness(node) {
    var s = conditionStatus(node, 'Ready');
    return s === 'True' ? 'Ready' : s === 'False' ? 'NotReady' : 'Unknown';
  }
  function isPodReady(p) {
    return (p.status && p.status.phase) === 'Running' && conditionStatus(p, 'Ready') === 'True';
  }
  function waitingReason(p) {
    var st = p.status || {};
    var all = (st.initContainerStatuses || []).concat(st.containerStatuses || []);
    for (var i = 0; i < all.length; i++) {
      var w = all[i].state && all[i].state.waiting;
      if (w && w.reason) return w.reason;
    }
    return '';
  }
  /** Matrix state of one pod: 'pending' while deleting, 'failed', 'ready' or 'pending'. */
  function podState(p) {
    if (meta(p).deletionTimestamp) return 'pending';
    if ((p.status && p.status.phase) === 'Failed' || FAILED_REASONS[waitingReason(p)] === true) return 'failed';
    return isPodReady(p) ? 'ready' : 'pending';
  }
  /** Like kubectl's STATUS column: Terminating, a waiting/terminated reason, or the phase. */
  function podStatusText(p) {
    if (meta(p).deletionTimestamp) return 'Terminating';
    var st = p.status || {};
    var reason = waitingReason(p);
    if (!reason) {
      (st.containerStatuses || []).forEach(function (c) {
        var t = c.state && c.state.terminated;
        if (!reason && t) reason = t.reason || ('ExitCode:' + t.exitCode);
      });
    }
    return reason || st.phase || 'Unknown';
  }
  function readyContainers(p) {
    var cs = (p.status && p.status.containerStatuses) || [];
    var total = ((p.spec && p.spec.containers) || []).length || cs.length;
    return cs.filter(function (c) { return c.ready === true; }).length + '/' + total;
  }
  function restarts(p) {
    return ((p.status && p.status.containerStatuses) || []).reduce(function (n, c) { return n + count(c.restartCount); }, 0);
  }
  function tolerates(tolerations, taint) {
    return tolerations.some(function (t) {
      if (t.effect && t.effect !== taint.effect) return false;
      if (t.operator === 'Exists') return !t.key || t.key === taint.key;
      return t.key === taint.key && (t.value || '') === (taint.value || '');
    });
  }
  /** Whether the DaemonSet's pod template would be placed on the node (nodeSelector, taints). */
  function dsFitsNode(ds, node) {
    var spec = (ds.spec && ds.spec.template && ds.spec.template.spec) || {};
    var labels = meta(node).labels || {};
    var sel = spec.nodeSelector || {};
    for (var k in sel) if (labels[k] !== sel[k]) return false;
    var tols = spec.tolerations || [];
    var taints = (node.spec && node.spec.taints) || [];
    return taints.every(function (t) {
      return t.effect === 'PreferNoSchedule' || DS_TOLERATED_TAINTS[t.key] === true || tolerates(tols, t);
    });
  }
  var SEVERITY = { ready: 0, pending: 1, failed: 2 };
  /**
   * A matrix cell: the most severe state of the DaemonSet's pods on the node; without a pod,
   * 'missing' when the DaemonSet has pods elsewhere and the node is Ready, schedulable and fits
   * the template (a hint, not the controller's placement), else 'none'.
   */
  function cell(ds, node, dsHasPods) {
    var byNode = state.podsByDs.get(meta(ds).uid);
    var pods = (byNode && byNode.get(meta(node).name)) || [];
    if (pods.length > 0) {
      var worst = 'ready';
      var parts = pods.map(function (p) {
        var s = podState(p);
        if (SEVERITY[s] > SEVERITY[worst]) worst = s;
        return 'pod ' + key(p) + ': ' + podStatusText(p) + (isPodReady(p) ? ', ready' : ', not ready');
      });
      return { state: worst, title: parts.join('; ') };
    }
    if (dsHasPods && nodeReadiness(node) === 'Ready' && !(node.spec && node.spec.unschedulable) && dsFitsNode(ds, node)) {
      return { state: 'missing', title: 'no pod of ' + key(ds) + ' on ' + meta(node).name + ' (node Ready and schedulable; the DaemonSet runs elsewhere)' };
    }
    return { state: 'none', title: 'no pod of ' + key(ds) + ' on ' + meta(node).name };
  }
  function eventTime(e) {
    var t = Date.parse(e.lastTimestamp || e.eventTime || (e.series && e.series.lastObservedTime) || meta(e).creationTimestamp);
    return isFinite(t) ? t : 0;
  }
  function eventIso(e) {
    var t = eventTime(e);
    return t ? new Date(t).toISOString() : '';
  }
  function dsCounts(ds) {
    var st = ds.status || {};
    return {
      desired: count(st.desiredNumberScheduled), current: count(st.currentNumberScheduled), ready: count(st.numberReady),
      updated: count(st.updatedNumberScheduled), available: count(st.numberAvailable),
      observed: count(st.observedGeneration) >= count(meta(ds).generation)
    };
  }

  // ---- rendering ------------------------------------------------------------------------

  function render() {
    var now = Date.now();
    renderHeader();
    renderDaemonSets(now);
    renderMatrix();
    renderNodes(now);
    renderEvents(now);
    renderDetail(now);
  }

  function renderHeader() {
    $('server-version').textContent = state.version || '';
    var banner = $('banner');
    banner.hidden = !state.error;
    banner.textContent = state.error || '';
    var upd = $('last-updated');
    upd.textContent = state.lastUpdated ? 'updated ' + state.lastUpdated.toLocaleTimeString() : (state.error ? 'not updated' : 'loading…');
    upd.classList.toggle('stale', !!state.error);
    if (!state.loaded) return;
    var ready = state.nodes.filter(function (n) { return nodeReadiness(n) === 'Ready'; }).length;
    var unready = state.pods.filter(function (p) { return (p.status && p.status.phase) !== 'Succeeded' && !isPodReady(p); }).length;
    setChip('summary-nodes', ready + '/' + state.nodes.length + ' nodes ready', ready === state.nodes.length ? 'good' : 'bad');
    setChip('summary-daemonsets', plural(state.dss.length, 'DaemonSet', 'DaemonSets'), '');
    setChip('summary-unready', plural(unready, 'pod', 'pods') + ' not ready', unready === 0 ? 'good' : 'bad');
  }
  function setChip(id, text, cls) {
    var el = $(id);
    el.textContent = text;
    el.className = 'chip' + (cls ? ' ' + cls : '');
  }

  function progress(c) {
    var complete = c.observed && c.updated === c.desired && c.available === c.desired && c.current === c.desired && c.ready === c.desired;
    var pct = function (n) { return c.desired > 0 ? Math.min(100, Math.round((n / c.desired) * 100)) : 100; };
    var text = complete ? 'complete'
      : !c.observed ? 'waiting for the controller'
      : c.updated + '/' + c.desired + ' updated, ' + c.available + '/' + c.desired + ' available';
    return '<span class="prog" data-testid="ds-progress" data-complete="' + complete + '" title="' + esc(text) + '">' +
      '<span class="bar"><span class="upd" style="width:' + pct(c.updated) + '%"></span></span>' +
      '<span class="bar"><span class="avl" style="width:' + pct(c.available) + '%"></span></span></span>' +
      '<span class="prog-text' + (complete ? ' done' : '') + '">' + esc(text) + '</span>';
  }
  function images(containers) {
    var seen = [];
    (containers || []).forEach(function (c) { if (seen.indexOf(c.image) < 0) seen.push(c.image); });
    return seen.map(esc).join('<br>');
  }
  function strategy(ds) {
    var s = (ds.spec && ds.spec.updateStrategy) || {};
    var type = s.type || 'RollingUpdate';
    if (type !== 'RollingUpdate') return esc(type);
    var ru = s.rollingUpdate || {};
    var mu = ru.maxUnavailable === undefined ? 1 : ru.maxUnavailable;
    var ms = ru.maxSurge === undefined ? 0 : ru.maxSurge;
    return 'RollingUpdate <span class="muted">maxUnavailable ' + esc(mu) + ', maxSurge ' + esc(ms) + '</span>';
  }

  function renderDaemonSets(now) {
    if (!state.loaded) return;
    var rows = state.dss.map(function (ds) {
      var k = key(ds), c = dsCounts(ds), sel = k === state.selected;
      var tpl = (ds.spec && ds.spec.template && ds.spec.template.spec) || {};
      return '<tr class="ds' + (sel ? ' selected' : '') + '" data-testid="ds-row" data-name="' + esc(k) + '" tabindex="0" aria-selected="' + sel + '">' +
        '<td><span class="ns">' + esc(meta(ds).namespace) + '/</span>' + esc(meta(ds).name) + '</td>' +
        '<td class="num" data-testid="ds-desired">' + c.desired + '</td>' +
        '<td class="num" data-testid="ds-current">' + c.current + '</td>' +
        '<td class="num" data-testid="ds-ready">' + c.ready + '</td>' +
        '<td class="num" data-testid="ds-updated">' + c.updated + '</td>' +
        '<td class="num" data-testid="ds-available">' + c.available + '</td>' +
        '<td class="mono">' + images(tpl.containers) + '</td>' +
        '<td>' + strategy(ds) + '</td>' +
        ageCell(meta(ds).creationTimestamp, now) +
        '<td class="nowrap">' + progress(c) + '</td></tr>';
    });
    setHtml($('ds-body'), rows.length ? rows.join('') : '<tr><td class="empty" colspan="10">No DaemonSets. Create one with <span class="mono">everynode apply -f daemonset.yaml</span>.</td></tr>');
  }

  function renderMatrix() {
    if (!state.loaded) return;
    var nodes = state.nodes.slice(0, MATRIX_MAX_NODES);
    var note = $('matrix-note');
    note.hidden = state.nodes.length <= MATRIX_MAX_NODES;
    note.textContent = 'showing ' + MATRIX_MAX_NODES + ' of ' + state.nodes.length + ' nodes (sorted by name)';
    var totals = { ready: 0, pending: 0, failed: 0, missing: 0, none: 0 };
    if (nodes.length === 0 || state.dss.length === 0) {
      setHtml($('matrix'), '<tbody><tr><td class="empty">' + (nodes.length === 0 ? 'No nodes registered.' : 'No DaemonSets.') + '</td></tr></tbody>');
    } else {
      var hasPods = state.dss.map(function (ds) { return state.podsByDs.has(meta(ds).uid); });
      var head = '<thead><tr><th class="corner"></th>' + state.dss.map(function (ds) {
        var k = key(ds);
        return '<th class="' + (k === state.selected ? 'selected' : '') + '" title="' + esc(k) + '"><div class="vlabel" data-select="' + esc(k) + '">' + esc(meta(ds).name) + '</div></th>';
      }).join('') + '</tr></thead>';
      var body = nodes.map(function (node) {
        var name = meta(node).name, readiness = nodeReadiness(node);
        return '<tr data-node="' + esc(name) + '"><th class="' + (readiness === 'Ready' ? '' : 'notready') + '" title="' + esc(name + ': ' + readiness) + '">' + esc(name) + '</th>' +
          state.dss.map(function (ds, i) {
            var c = cell(ds, node, hasPods[i]);
            totals[c.state]++;
            return '<td class="cell st-' + c.state + '" data-testid="matrix-cell" data-node="' + esc(name) + '" data-ds="' + esc(key(ds)) +
              '" data-state="' + c.state + '" data-select="' + esc(key(ds)) + '" title="' + esc(c.title) + '"></td>';
          }).join('') + '</tr>';
      }).join('');
      setHtml($('matrix'), head + '<tbody>' + body + '</tbody>');
    }
    ['ready', 'pending', 'failed', 'missing'].forEach(function (s) { $('legend-' + s).textContent = String(totals[s]); });
  }

  function taintsText(node) {
    return ((node.spec && node.spec.taints) || []).map(function (t) {
      return '<span class="tag">' + esc(t.key + (t.value ? '=' + t.value : '') + ':' + t.effect) + '</span>';
    }).join('');
  }
  function labelsText(labels) {
    var keys = Object.keys(labels || {}).sort();
    var shown = keys.slice(0, 4).map(function (k) {
      return '<span class="tag">' + esc(labels[k] === '' ? k : k + '=' + labels[k]) + '</span>';
    }).join('');
    if (keys.length <= 4) return shown;
    var all = keys.map(function (k) { return k + '=' + labels[k]; }).join('\n');
    return shown + '<span class="tag muted" title="' + esc(all) + '">+' + (keys.length - 4) + ' more</span>';
  }
  function internalIP(node) {
    var addrs = (node.status && node.status.addresses) || [];
    var ip = addrs.filter(function (a) { return a.type === 'InternalIP'; })[0] || addrs[0];
    return ip ? ip.address : '';
  }

  function renderNodes(now) {
    if (!state.loaded) return;
    var podsOnNode = new Map();
    state.pods.forEach(function (p) {
      var n = p.spec && p.spec.nodeName;
      if (n) podsOnNode.set(n, (podsOnNode.get(n) || 0) + 1);
    });
    var rows = state.nodes.map(function (node) {
      var m = meta(node), readiness = nodeReadiness(node), unsched = !!(node.spec && node.spec.unschedulable);
      var status = readiness + (unsched ? ',SchedulingDisabled' : '');
      var info = (node.status && node.status.nodeInfo) || {};
      return '<tr data-testid="node-row" data-name="' + esc(m.name) + '">' +
        '<td class="nowrap">' + esc(m.name) + '</td>' +
        '<td data-testid="node-status" class="nowrap ' + (readiness === 'Ready' ? (unsched ? 'status-warn' : 'status-ok') : 'status-bad') + '">' + esc(status) + '</td>' +
        '<td class="mono nowrap">' + esc(internalIP(node)) + '</td>' +
        '<td class="mono nowrap">' + esc(info.kubeletVersion) + '</td>' +
        '<td class="num">' + (podsOnNode.get(m.name) || 0) + '</td>' +
        '<td>' + taintsText(node) + '</td>' +
        '<td>' + labelsText(m.labels) + '</td>' +
        ageCell(m.creationTimestamp, now) + '</tr>';
    });
    $('node-count').textContent = state.nodes.length ? '(' + state.nodes.length + ')' : '';
    setHtml($('node-body'), rows.length ? rows.join('') : '<tr><td class="empty" colspan="8">No nodes registered.</td></tr>');
  }

  function eventRow(e, now) {
    var io = e.involvedObject || {};
    var warn = e.type === 'Warning';
    return '<tr data-testid="event-row" data-type="' + esc(e.type) + '"' + (warn ? ' class="warning"' : '') + '>' +
      '<td class="num" title="' + esc(eventIso(e)) + '">' + esc(eventTime(e) ? age(eventIso(e), now) : '') + '</td>' +
      '<td class="type">' + esc(e.type) + '</td>' +
      '<td>' + esc(e.reason) + '</td>' +
      '<td class="mono">' + esc(io.kind) + '/' + (io.namespace ? esc(io.namespace) + '/' : '') + esc(io.name) + '</td>' +
      '<td class="msg">' + esc(e.message) + '</td>' +
      '<td class="num">' + (count(e.count) || 1) + '</td></tr>';
  }
  var EVENT_HEAD = '<thead><tr><th class="num">Last seen</th><th>Type</th><th>Reason</th><th>Object</th><th>Message</th><th class="num">Count</th></tr></thead>';

  function renderEvents(now) {
    if (!state.loaded) return;
    var rows = state.events.slice(0, EVENTS_MAX).map(function (e) { return eventRow(e, now); });
    setHtml($('events-body'), rows.length ? rows.join('') : '<tr><td class="empty" colspan="6">No events.</td></tr>');
  }

  function renderDetail(now) {
    var panel = $('detail');
    panel.hidden = !state.selected;
    if (!state.selected) return;
    var sel = state.selected;
    var ds = state.dss.filter(function (d) { return key(d) === sel; })[0];
    var action = state.action ? '<span class="action ' + (state.action.error ? 'err' : 'ok') + '" data-testid="action-status">' + esc(state.action.text) + '</span>' : '';
    var head = '<div class="head"><h2>DaemonSet <span class="ns">' + esc(sel.split('/')[0]) + '/</span>' + esc(sel.split('/').slice(1).join('/')) + '</h2>' +
      (ds ? '<button type="button" class="primary" data-testid="restart-button" data-action="restart"' + (state.busy ? ' disabled' : '') + '>Restart</button>' : '') +
      action + '<span class="spacer"></span><button type="button" data-action="close" title="close the panel">✕</button></div>';
    if (!ds) {
      setHtml($('detail-body'), head + '<p class="muted">' + (state.loaded ? 'This DaemonSet does not exist (any more).' : 'loading…') + '</p>');
      return;
    }
    var pods = podsOf(ds).sort(function (a, b) {
      return String((a.spec && a.spec.nodeName) || '').localeCompare(String((b.spec && b.spec.nodeName) || ''), undefined, { numeric: true });
    });
    var podRows = pods.map(function (p) {
      var m = meta(p), st = p.status || {}, statusText = podStatusText(p);
      var containers = (p.spec && p.spec.containers) || [];
      var logButtons = containers.map(function (c) {
        return '<button type="button" data-testid="pod-logs-button" data-action="logs" data-ns="' + esc(m.namespace) + '" data-pod="' + esc(m.name) +
          '" data-container="' + esc(c.name) + '">' + (containers.length > 1 ? 'logs: ' + esc(c.name) : 'logs') + '</button> ';
      }).join('');
      return '<tr data-testid="pod-row" data-name="' + esc(key(p)) + '">' +
        '<td class="mono">' + esc(m.name) + '</td>' +
        '<td>' + esc((p.spec && p.spec.nodeName) || '(unscheduled)') + '</td>' +
        '<td class="' + (podState(p) === 'failed' ? 'status-bad' : podState(p) === 'pending' ? 'status-warn' : 'status-ok') + '">' +
          esc(st.phase || 'Unknown') + (statusText !== st.phase ? ' <span class="muted">(' + esc(statusText) + ')</span>' : '') + '</td>' +
        '<td class="num">' + esc(readyContainers(p)) + '</td>' +
        '<td class="num">' + restarts(p) + '</td>' +
        ageCell(m.creationTimestamp, now) +
        '<td class="nowrap">' + logButtons +
        '<button type="button" class="danger" data-testid="pod-delete-button" data-action="delete" data-ns="' + esc(m.namespace) + '" data-pod="' + esc(m.name) + '">delete</button></td></tr>';
    });
    var podTable = '<div class="scroll"><table class="grid"><thead><tr><th>Pod</th><th>Node</th><th>Phase</th><th class="num">Ready</th><th class="num">Restarts</th><th class="num">Age</th><th></th></tr></thead><tbody>' +
      (podRows.length ? podRows.join('') : '<tr><td class="empty" colspan="7">No pods.</td></tr>') + '</tbody></table></div>';

    var names = new Set(pods.map(function (p) { return meta(p).name; }));
    var ns = meta(ds).namespace, name = meta(ds).name;
    var evs = state.events.filter(function (e) {
      var io = e.involvedObject || {};
      if (io.namespace !== ns) return false;
      return (io.kind === 'DaemonSet' && io.name === name) || (io.kind === 'Pod' && names.has(io.name));
    }).slice(0, DETAIL_EVENTS_MAX);
    var evTable = '<div class="scroll detail-events"><table class="grid">' + EVENT_HEAD + '<tbody>' +
      (evs.length ? evs.map(function (e) { return eventRow(e, now); }).join('') : '<tr><td class="empty" colspan="6">No events about this DaemonSet or its pods.</td></tr>') + '</tbody></table></div>';

    setHtml($('detail-body'), head + '<div class="cols"><div><h3>Pods (' + pods.length + ')</h3>' + podTable + '</div>' +
      '<div><h3>Revision history</h3>' + revisionTable(ds, pods, now) + '</div></div><h3>Events</h3>' + evTable);
  }

  /** Revisions owned by the DaemonSet, newest first; the highest revision is the current one. */
  function revisionTable(ds, pods, now) {
    var rv = state.revisions;
    if (!rv || rv.key !== state.selected) return '<p class="muted">loading…</p>';
    var uid = meta(ds).uid;
    var revs = rv.items.filter(function (r) {
      return (meta(r).ownerReferences || []).some(function (o) { return o.uid === uid; });
    }).sort(function (a, b) { return count(b.revision) - count(a.revision); });
    var err = rv.error ? '<p class="action err">' + esc(rv.error) + '</p>' : '';
    if (revs.length === 0) return err + '<p class="muted">No revisions.</p>';
    var rows = revs.map(function (r, i) {
      var hash = (meta(r).labels || {})['controller-revision-hash'] || '';
      var onIt = hash ? pods.filter(function (p) { return (meta(p).labels || {})['controller-revision-hash'] === hash; }).length : 0;
      return '<tr data-testid="revision-row" data-revision="' + count(r.revision) + '" data-current="' + (i === 0) + '"' + (i === 0 ? ' class="current"' : '') + '>' +
        '<td class="num">' + count(r.revision) + '</td><td>' + (i === 0 ? 'current' : '') + '</td>' +
        '<td class="mono">' + esc(hash) + '</td><td class="num">' + onIt + '</td>' + ageCell(meta(r).creationTimestamp, now) + '</tr>';
    });
    return err + '<div class="scroll"><table class="grid"><thead><tr><th class="num">Revision</th><th></th><th>Hash</th><th class="num">Pods</th><th class="num">Age</th></tr></thead><tbody>' +
      rows.join('') + '</tbody></table></div>';
  }

  // ---- selection, logs and writes -------------------------------------------------------

  function selectionFromHash() {
    var m = /^#ds=(.+)$/.exec(location.hash);
    if (!m) return null;
    try { return decodeURIComponent(m[1]); } catch (e) { return null; }
  }
  /** Selects a DaemonSet ("NS/NAME") or none (null); a new selection clears logs and messages. */
  function select(k) {
    if (k === state.selected) return;
    state.selected = k;
    state.revisions = null;
    state.action = null;
    closeLog();
    history.replaceState(null, '', location.pathname + location.search + (k ? '#ds=' + enc(k) : ''));
    render();
    if (k) requestRefresh();
  }

  var logSeq = 0;
  /** The log on show ({ns, pod, container}), reloaded after every refresh while "follow" is on. */
  var openLog = null;
  function closeLog() {
    logSeq++;
    openLog = null;
    $('log-box').hidden = true;
    $('log-view').textContent = '';
  }
  /**
   * Loads the last lines of one container's log into the log view; a newer load wins. "quiet"
   * (a follow reload) keeps the old text until the new arrives, and the view scrolled to the
   * end only if it was there.
   */
  async function showLog(ns, pod, container, quiet) {
    var seq = ++logSeq;
    var view = $('log-view');
    openLog = { ns: ns, pod: pod, container: container };
    $('log-box').hidden = false;
    $('log-title').textContent = ns + '/' + pod + ' (' + container + '), last ' + LOG_TAIL_LINES + ' lines';
    var atEnd = view.scrollTop + view.clientHeight >= view.scrollHeight - 4;
    if (!quiet) view.textContent = 'loading…';
    var text;
    try {
      text = await request('GET', '/api/v1/namespaces/' + enc(ns) + '/pods/' + enc(pod) + '/log?container=' + enc(container) + '&tailLines=' + LOG_TAIL_LINES, { accept: 'text/plain, */*' });
      if (text === '') text = '(the log is empty)';
    } catch (e) {
      text = 'error: ' + e.message;
    }
    if (seq !== logSeq) return;
    if (quiet && view.textContent === text) return;
    view.textContent = text;
    if (!quiet || atEnd) view.scrollTop = view.scrollHeight;
  }

  /** Runs one write; its outcome shows in the detail panel, a failure also in the banner. */
  async function write(describe, method, path, opts) {
    state.busy = true;
    state.action = { text: describe + '…', error: false };
    render();
    try {
      await request(method, path, opts);
      state.action = { text: describe + ': done', error: false };
      requestRefresh();
    } catch (e) {
      state.action = { text: describe + ' failed: ' + e.message, error: true };
      state.error = e.message;
    } finally {
      state.busy = false;
      render();
    }
  }
  function restart() {
    var k = state.selected;
    var ns = k.split('/')[0], name = k.split('/').slice(1).join('/');
    if (!confirmed('Restart DaemonSet ' + k + '? Its pods are replaced following its update strategy.')) return;
    var body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } };
    write('restart of ' + k, 'PATCH', '/apis/apps/v1/namespaces/' + enc(ns) + '/daemonsets/' + enc(name),
      { body: body, contentType: 'application/strategic-merge-patch+json' });
  }
  function deletePod(ns, pod) {
    if (!confirmed('Delete pod ' + ns + '/' + pod + '? The DaemonSet controller creates a new one.')) return;
    write('deletion of pod ' + ns + '/' + pod, 'DELETE', '/api/v1/namespaces/' + enc(ns) + '/pods/' + enc(pod));
  }

  // One delegated listener: rows and buttons are re-rendered, the listener stays.
  document.addEventListener('click', function (ev) {
    var t = ev.target instanceof Element ? ev.target : null;
    if (!t) return;
    var btn = t.closest('[data-action]');
    if (btn) {
      var a = btn.getAttribute('data-action');
      if (a === 'refresh') requestRefresh();
      else if (a === 'close') select(null);
      else if (a === 'close-log') closeLog();
      else if (a === 'restart' && state.selected && !state.busy) restart();
      else if (a === 'logs') showLog(btn.getAttribute('data-ns'), btn.getAttribute('data-pod'), btn.getAttribute('data-container'));
      else if (a === 'delete' && !state.busy) deletePod(btn.getAttribute('data-ns'), btn.getAttribute('data-pod'));
      return;
    }
    var row = t.closest('tr[data-testid="ds-row"]');
    if (row) { select(row.getAttribute('data-name')); return; }
    var target = t.closest('[data-select]');
    if (target) select(target.getAttribute('data-select'));
  });
  document.addEventListener('keydown', function (ev) {
    var t = ev.target instanceof Element ? ev.target : null;
    if (t && (ev.key === 'Enter' || ev.key === ' ') && t.matches('tr[data-testid="ds-row"]')) {
      ev.preventDefault();
      select(t.getAttribute('data-name'));
    }
  });
  window.addEventListener('hashchange', function () { select(selectionFromHash()); });

  $('refresh-mode').textContent = INTERVAL > 0 ? 'auto-refresh every ' + (INTERVAL >= 1000 ? INTERVAL / 1000 + ' s' : INTERVAL + ' ms') : 'auto-refresh off';
  render();
  requestRefresh();
})();
`;

/** The dashboard's single page: self-contained HTML (inline CSS and JS, no external resources). */
export const dashboardPage: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>everynode dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1><svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"><g fill="#2da44e"><rect x="1" y="1" width="7" height="7" rx="1.5"/><rect x="10" y="1" width="7" height="7" rx="1.5"/><rect x="1" y="10" width="7" height="7" rx="1.5"/></g><rect x="10" y="10" width="7" height="7" rx="1.5" fill="#0969da"/></svg>everynode</h1>
  <span class="version" data-testid="server-version" id="server-version"></span>
  <div class="chips">
    <span class="chip" data-testid="summary-nodes" id="summary-nodes">– nodes</span>
    <span class="chip" data-testid="summary-daemonsets" id="summary-daemonsets">– DaemonSets</span>
    <span class="chip" data-testid="summary-unready" id="summary-unready">– pods not ready</span>
  </div>
  <span class="spacer"></span>
  <span class="updated" data-testid="last-updated" id="last-updated">loading…</span>
  <span class="updated" id="refresh-mode"></span>
  <button type="button" data-testid="refresh-button" data-action="refresh">Refresh</button>
</header>
<div id="banner" data-testid="error-banner" role="alert" hidden></div>
<main>
  <section>
    <h2>DaemonSets <span class="sub">click a row for its pods, logs, history and events</span></h2>
    <div class="scroll">
      <table class="grid" data-testid="ds-table">
        <thead><tr><th>Name</th><th class="num">Desired</th><th class="num">Current</th><th class="num">Ready</th><th class="num">Up-to-date</th><th class="num">Available</th><th>Images</th><th>Strategy</th><th class="num">Age</th><th>Rollout</th></tr></thead>
        <tbody id="ds-body"><tr><td class="empty" colspan="10">loading…</td></tr></tbody>
      </table>
    </div>
  </section>
  <section id="detail" data-testid="ds-detail" hidden>
    <div id="detail-body"></div>
    <div id="log-box" hidden>
      <div class="loghead"><h3 id="log-title"></h3><label><input type="checkbox" id="log-follow" data-testid="log-follow" checked> follow</label><button type="button" data-action="close-log">close log</button></div>
      <pre class="log" data-testid="log-view" id="log-view"></pre>
    </div>
  </section>
  <section>
    <h2>Node × DaemonSet <span class="sub">one pod of each DaemonSet on every node</span></h2>
    <div class="legend">
      <span><i class="st-ready"></i>ready <b id="legend-ready">0</b></span>
      <span><i class="st-pending"></i>pending <b id="legend-pending">0</b></span>
      <span><i class="st-failed"></i>failed <b id="legend-failed">0</b></span>
      <span><i class="st-missing"></i>missing (hint) <b id="legend-missing">0</b></span>
      <span><i class="st-none"></i>no pod</span>
    </div>
    <p class="note" data-testid="matrix-note" id="matrix-note" hidden></p>
    <div class="scroll" id="matrix-wrap"><table class="matrix" data-testid="matrix" id="matrix"><tbody><tr><td class="empty">loading…</td></tr></tbody></table></div>
  </section>
  <section>
    <h2>Nodes <span class="sub" id="node-count"></span></h2>
    <div class="scroll" style="max-height:520px">
      <table class="grid" data-testid="node-table">
        <thead><tr><th>Name</th><th>Status</th><th>Internal IP</th><th>Kubelet</th><th class="num">Pods</th><th>Taints</th><th>Labels</th><th class="num">Age</th></tr></thead>
        <tbody id="node-body"><tr><td class="empty" colspan="8">loading…</td></tr></tbody>
      </table>
    </div>
  </section>
  <section>
    <h2>Events <span class="sub">newest first, at most 50</span></h2>
    <div class="scroll" id="events-wrap">
      <table class="grid" data-testid="events">
        <thead><tr><th class="num">Last seen</th><th>Type</th><th>Reason</th><th>Object</th><th>Message</th><th class="num">Count</th></tr></thead>
        <tbody id="events-body"><tr><td class="empty" colspan="6">loading…</td></tr></tbody>
      </table>
    </div>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
