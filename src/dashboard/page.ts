// The web dashboard's single page: one self-contained HTML document (inline CSS and JS, no
// external resources, nothing fetched but the API under the same origin) served by the
// dashboard server at `/`.
//
// Contracts with the dashboard server (proxy.ts):
// - Every API call is a relative path on the page's origin (`/version`, `/api/v1/...`,
//   `/apis/apps/v1/...`), answered as the Kubernetes API answers it; errors are Status JSON.
// - Nodes, DaemonSets, pods and events are listed once, then kept current by their watches,
//   all four in one `GET /dashboard/watch?path=...` (the server's multiplexer, see proxy.ts; one
//   connection per tab). The selected DaemonSet's controller revisions and a followed log are
//   polled GETs; `/version` is read once.
// - Sign-in: the printed address carries `?token=…`; the page keeps it in this origin's
//   localStorage (`everynode-dashboard-token`; an origin includes its port, so no other local
//   service can read it while the dashboard holds its port, as it could read a cookie) and takes
//   it out of the address at once.
//   Every request carries it as `X-Everynode-Dashboard-Token`; writes (PATCH, DELETE) also carry
//   `X-Everynode-Dashboard: 1`.
// - The page needs its one inline script allowed (proxy.ts allows it by its sha256 hash, computed
//   from this text at start), `style-src 'unsafe-inline'` and `connect-src 'self'` from the
//   page's Content-Security-Policy, nothing else.
// - A 401 with `X-Everynode-Dashboard-Session: invalid` (the server's own, not the API
//   server's) ends the session (or, with no token kept, says the page is not signed in): the
//   page says to open the new address, dims its data and stops
//   watching and polling (until the refresh button). No HTTP answer (the server is down) or a
//   502 (the API server is): the page dims its data, says since when, and retries less often
//   (doubling up to 30 s), resuming its watches from the last resourceVersions it saw.
//
// Contracts with tests (data-testid):
// - Header: `summary-nodes` ("R/T nodes ready"), `summary-daemonsets`, `summary-unready`,
//   `server-version`, `last-updated`, `refresh-button`, `error-banner`.
// - DaemonSets: `ds-table`; rows `ds-row` with data-name="NS/NAME"; cells `ds-status`
//   (data-status failing|waiting|idle|complete|rolling; "Failing: N <reason>" when pods are in
//   a failed state), `ds-misscheduled`, `ds-desired`, `ds-current`, `ds-ready`, `ds-updated`,
//   `ds-available` (plain numbers), `ds-placement`; `ds-progress` with data-complete.
//   `ds-filter` (a search box, `?filter=TEXT` fills it) keeps the DaemonSets whose namespace/name,
//   images or labels (their own and their pods') contain every word typed, in the table and as matrix columns, and
//   `ds-filter-note` says "N of M shown"; `ds-problems-first` orders both failing, then rolling
//   out, then waiting, then matching no node, then complete.
// - Matrix: `matrix`; cells `matrix-cell` with data-node, data-ds="NS/NAME", data-state
//   ready|pending|failed|missing|none and data-stale="true" on unreachable nodes; legend
//   `legend-ready|pending|failed|missing|stale` (ids) count all nodes, drawn or not;
//   `matrix-note` (data-hidden-problems) when nodes are cut at 200 (`?matrixNodes=N`), the nodes
//   with failed, pending or missing cells drawn first. The matrix is a keyboard grid: one cell
//   has tabindex 0, the arrow keys (Home, End) move it, Enter or Space selects its DaemonSet.
// - Nodes: `node-table`; rows `node-row` with data-name; cell `node-status` (Ready|NotReady as
//   kubectl shows them, the Ready condition in its title, data-unreachable when Unknown).
// - Detail of the selected DaemonSet: `ds-detail`; `restart-button`; rows `pod-row`
//   (data-name="NS/NAME", problem pods first) with `pod-status` (kubectl's STATUS, Init:...),
//   `pod-restarts` (kubectl's RESTARTS), `pod-logs-button` (data-container, data-init for init
//   containers) and `pod-delete-button`; `log-view` (<pre>, reloaded after each refresh while
//   the `log-follow` checkbox is on, as it is by default; when the pod is gone it follows the
//   DaemonSet's new pod on the same node, else stops) and `log-note`; `revision-row`
//   (data-revision, data-current); `action-status`.
// - Events: `events`; rows `event-row` (data-type Normal|Warning); `events-warnings-only`.
// - `window.EVERYNODE_NO_CONFIRM === true` skips the confirm() before restart and delete.
// - `?refresh=MS` (default 2000): watch events are drawn at most every MS ms (a burst is one
//   redraw; ages tick at that pace too), and revisions and a followed log are re-read as often.
//   0 turns auto-refresh off: no watch, no timer; the page lists at load, on the refresh button
//   and after a write.
// - Lists are paged: `?listPage=N` items per request (default 500), continue tokens followed.
// - A followed log that cannot be read (not a pod gone) for `?logGiveUp=SECONDS` (default 30),
//   3 reads at least, stops being followed, with a note saying so.
// - The refresh button lists all four collections again and re-opens the watch from those lists.
// - A redraw patches the DOM in place (setHtml), so focus and text selection survive it.
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
.chip.good { border-color: var(--ready); color: #116329; }
.spacer { flex: 1; }
.updated { color: var(--muted); font-size: 12px; }
.updated.stale { color: var(--failed); }
button { font: inherit; padding: 2px 10px; border: 1px solid var(--border); border-radius: 6px; background: #fff; color: var(--fg); cursor: pointer; }
button:hover { background: var(--soft); }
button:disabled, button[aria-disabled="true"] { opacity: .55; cursor: default; }
/* Long names wrap anywhere rather than widen the page; in tables a minimum width keeps them readable. */
.name { overflow-wrap: anywhere; }
td.name { min-width: 13em; }
td.mono.name { min-width: 11em; }
td.name.short { min-width: 7em; }
td.actions { min-width: 10em; }
td.actions button { margin: 0 2px 2px 0; padding: 0 6px; font-size: 12px; overflow-wrap: anywhere; text-align: left; }
@media (max-width: 600px) { td.name, td.mono.name { min-width: 8em; } }
button.danger { color: var(--failed); }
button.primary { border-color: var(--accent); color: var(--accent); }
body.data-stale main { opacity: .55; filter: grayscale(.8); }
body.session-ended main { opacity: .25; filter: grayscale(1); pointer-events: none; user-select: none; }
/* The header's figures are the data's too: dimmed with it. */
body.data-stale header .chips, body.session-ended header .chips { opacity: .45; filter: grayscale(1); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
#banner[data-kind="session-ended"] { font-weight: 600; }
#banner { margin: 8px 16px 0; padding: 8px 12px; border: 1px solid var(--failed); border-radius: 6px; background: var(--err-bg); color: #82071e; }
main { padding: 4px 16px 24px; }
section { margin-top: 14px; }
section > h2 { font-size: 14px; margin: 0 0 6px; display: flex; align-items: baseline; gap: 10px; }
section > h2 .sub { font-weight: normal; color: var(--muted); font-size: 12px; }
.filters { display: flex; gap: 12px; align-items: center; margin: 0 0 8px; flex-wrap: wrap; }
.filters .sub { color: var(--muted); font-size: 12px; }
.filters input[type=search] { width: 280px; max-width: 100%; font: inherit; font-size: 13px; padding: 3px 6px; border: 1px solid var(--border); border-radius: 4px; background: #fff; color: inherit; }
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
details.more { display: inline; }
details.more summary { display: inline-block; cursor: pointer; color: var(--muted); font-size: 11px; padding: 0 5px; border: 1px solid var(--none); border-radius: 4px; }
details.more[open] summary { margin-bottom: 2px; }
.tag { display: inline-block; margin: 0 3px 2px 0; padding: 0 5px; border-radius: 4px; background: var(--soft); border: 1px solid var(--none); font-size: 11px; white-space: nowrap; }
.status-ok { color: #116329; }
.status-bad { color: var(--failed); font-weight: 600; }
.status-warn { color: #7d4e00; font-weight: 600; }
.prog { display: flex; flex-direction: column; gap: 2px; width: 90px; margin: 5px 0 3px; }
.bar { height: 5px; background: var(--none); border-radius: 3px; overflow: hidden; }
.bar > span { display: block; height: 100%; }
.bar .upd { background: var(--accent); }
.bar .avl { background: var(--ready); }
/* The rollout text wraps under its bars: the DaemonSet table fits 1280 px without scrolling. */
td.rollout { min-width: 8.5em; }
#ds-body td.name { min-width: 10em; }
#ds-body td.mono.name { min-width: 9em; }
.tag.breakable { white-space: normal; }
.prog-text { font-size: 12px; color: var(--muted); }
.nowrap { white-space: nowrap; }
.detail-events { max-height: 260px; }
/* A DaemonSet on hundreds of nodes, or hundreds of DaemonSets, scroll inside their box. */
.detail-pods { max-height: 420px; }
#ds-wrap { max-height: 640px; }
.prog-text.done { color: #116329; }
#matrix-wrap { max-height: 520px; }
table.matrix { border-collapse: separate; border-spacing: 2px; }
table.matrix th { font-weight: normal; background: #fff; }
table.matrix thead th { position: sticky; top: 0; z-index: 2; vertical-align: bottom; padding: 4px 0; }
table.matrix thead th.corner { left: 0; z-index: 3; }
table.matrix thead .vlabel { writing-mode: vertical-rl; transform: rotate(180deg); max-height: 130px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 11px; cursor: pointer; }
table.matrix thead th.selected .vlabel { color: var(--accent); font-weight: 600; }
table.matrix tbody th { position: sticky; left: 0; z-index: 1; text-align: right; padding: 0 8px 0 4px; white-space: nowrap; font-size: 12px; }
/* A node name is cut to a share of the width (whole in its tooltip): a long one must not cover the cells. */
table.matrix tbody th .rowname { display: inline-block; max-width: min(220px, 35vw); overflow: hidden; text-overflow: ellipsis; vertical-align: bottom; }
td.nodename { max-width: 320px; overflow-wrap: anywhere; }
table.matrix tbody th.notready { color: var(--failed); }
td.cell { width: 16px; min-width: 16px; height: 16px; padding: 0; border-radius: 3px; cursor: pointer; }
td.cell:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.st-ready { background: var(--ready); }
.st-pending { background: var(--pending); }
.st-failed { background: var(--failed); }
.st-missing { background: repeating-linear-gradient(45deg, var(--missing) 0 3px, #d8dee4 3px 6px); }
.st-none { background: #fff; box-shadow: inset 0 0 0 1px var(--none); }
.stale { opacity: .45; background-image: repeating-linear-gradient(-45deg, rgba(255,255,255,.8) 0 2px, transparent 2px 5px); }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; font-size: 12px; color: var(--muted); align-items: center; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -2px; margin-right: 4px; }
.note { margin: 4px 0; color: #7d4e00; font-size: 12px; }
#detail { border: 1px solid var(--accent); border-radius: 8px; padding: 8px 12px 12px; background: #fff; }
#detail .head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
#detail .head h2 { margin: 0; font-size: 15px; }
#detail .cols { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; margin-top: 8px; }
@media (max-width: 900px) { #detail .cols { grid-template-columns: minmax(0, 1fr); } }
@media (max-width: 600px) { header { position: static; padding: 6px 10px; } main { padding: 4px 8px 16px; } #banner { margin: 6px 8px 0; } }
#detail h3 { font-size: 13px; margin: 8px 0 4px; }
.action { font-size: 12px; }
.action.err { color: var(--failed); }
.action.ok { color: #116329; }
tr.current td { font-weight: 600; }
#log-box { margin-top: 10px; }
#log-box .loghead { display: flex; align-items: center; gap: 10px; margin-bottom: 4px; }
pre.log { margin: 0; max-height: 360px; overflow: auto; padding: 8px 10px; background: #0d1117; color: #e6edf3; border-radius: 6px; font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all; }
tr.warning td { background: var(--warn-bg); }
tr.warning td.type { color: #7d4e00; font-weight: 600; }
#events-wrap { max-height: 420px; }
td.msg { min-width: 260px; }
`;

const SCRIPT = String.raw`
'use strict';
(function () {
  /** The sign-in token (see the contracts above): from ?token=… at sign-in, else as kept. */
  var TOKEN_KEY = 'everynode-dashboard-token';
  var TOKEN = (function () {
    var params = new URLSearchParams(location.search);
    var given = params.get('token');
    if (given === null) {
      try { return localStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
    }
    try { localStorage.setItem(TOKEN_KEY, given); } catch (e) { /* private mode: this tab only */ }
    params.delete('token');
    var rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
    return given;
  })();
  /** Redraw (and poll) interval in ms from ?refresh=MS (default 2000; 0 = auto-refresh off: no watch; invalid = default). */
  var INTERVAL = (function () {
    var raw = new URLSearchParams(location.search).get('refresh');
    if (raw === null || raw.trim() === '') return 2000;
    var n = Number(raw);
    return isFinite(n) && n >= 0 ? Math.floor(n) : 2000;
  })();
  /** A request taking longer than this is aborted, so one refresh never waits forever. */
  var REQUEST_TIMEOUT_MS = 15000;
  /** Nodes drawn in the matrix at most (the legend counts all); ?matrixNodes=N changes it. */
  var MATRIX_MAX_NODES = (function () {
    var n = Number(new URLSearchParams(location.search).get('matrixNodes'));
    return isFinite(n) && n >= 1 ? Math.floor(n) : 200;
  })();
  /** Items per list request (the first list of a large fleet comes in pages); ?listPage=N changes it. */
  var LIST_PAGE = (function () {
    var n = Number(new URLSearchParams(location.search).get('listPage'));
    return isFinite(n) && n >= 1 ? Math.floor(n) : 500;
  })();
  var EVENTS_MAX = 50;
  var DETAIL_EVENTS_MAX = 20;
  var LOG_TAIL_LINES = 200;
  /** At most this much of a log is read per refresh (a log of huge lines must not freeze the page). */
  var LOG_LIMIT_BYTES = 512 * 1024;
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
    sessionEnded: false, lostSince: null, lostWhat: null, failures: 0,
    selected: selectionFromHash(), revisions: null, action: null, busy: false,
    /** The matrix cell that is the grid's one tab stop ('NODE|NS/NAME'), moved by the arrow keys. */
    matrixFocus: null
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
  /**
   * Puts html into el. Nothing happens when the html is what el shows already. Otherwise the
   * new markup is parsed into an inert template and el's DOM is patched in place: elements
   * with the same identity (see nodeKey) are kept and only their changed attributes and texts
   * are updated. So keyboard focus, text selection in unchanged text, hover and open <details>
   * survive a refresh. If the focused element was replaced anyway, focus goes to the new
   * element with the same identity.
   */
  function setHtml(el, html) {
    if (el._html === html) return;
    el._html = html;
    var active = document.activeElement;
    var focusKey = active && active !== el && el.contains(active) ? nodeKey(active) : null;
    var tpl = document.createElement('template');
    tpl.innerHTML = html;
    morphChildren(el, tpl.content);
    if (focusKey && !el.contains(document.activeElement)) {
      var all = el.querySelectorAll('*');
      for (var i = 0; i < all.length; i++) {
        if (nodeKey(all[i]) === focusKey) { all[i].focus({ preventScroll: true }); break; }
      }
    }
  }
  var KEY_ATTRS = ['data-testid', 'data-name', 'data-node', 'data-ds', 'data-action', 'data-pod', 'data-container', 'data-revision', 'data-select'];
  /** The identity of a rendered element (tag and identifying data attributes), or null. */
  function nodeKey(n) {
    if (n.nodeType !== 1) return null;
    var parts = [], any = false;
    for (var i = 0; i < KEY_ATTRS.length; i++) {
      var v = n.getAttribute(KEY_ATTRS[i]);
      if (v !== null) any = true;
      parts.push(v === null ? '' : v);
    }
    return any ? n.nodeName + '|' + parts.join('|') : null;
  }
  function morphChildren(from, to) {
    var newKids = Array.prototype.slice.call(to.childNodes);
    var newKeys = new Set();
    newKids.forEach(function (n) { var k = nodeKey(n); if (k) newKeys.add(k); });
    var keyed = new Map();
    Array.prototype.slice.call(from.childNodes).forEach(function (n) {
      var k = nodeKey(n);
      if (k && !newKeys.has(k)) from.removeChild(n);
      else if (k) keyed.set(k, n);
    });
    var cursor = from.firstChild;
    newKids.forEach(function (nn) {
      var k = nodeKey(nn), match = null;
      if (k) {
        var c = keyed.get(k);
        keyed.delete(k);
        if (c && c.parentNode === from) match = c;
      } else if (cursor && !nodeKey(cursor) && cursor.nodeType === nn.nodeType && cursor.nodeName === nn.nodeName) {
        match = cursor;
      }
      if (!match) { from.insertBefore(nn, cursor); return; }
      if (match === cursor) cursor = cursor.nextSibling;
      else from.insertBefore(match, cursor);
      morphNode(match, nn);
    });
    while (cursor) { var next = cursor.nextSibling; from.removeChild(cursor); cursor = next; }
  }
  function morphNode(a, b) {
    if (a.nodeType !== 1) {
      if (a.nodeValue !== b.nodeValue) a.nodeValue = b.nodeValue;
      return;
    }
    var i, attr;
    for (i = a.attributes.length - 1; i >= 0; i--) {
      attr = a.attributes[i];
      // The user opens and closes <details>; a refresh keeps that.
      if (!b.hasAttribute(attr.name) && !(attr.name === 'open' && a.nodeName === 'DETAILS')) a.removeAttribute(attr.name);
    }
    for (i = 0; i < b.attributes.length; i++) {
      attr = b.attributes[i];
      if (a.getAttribute(attr.name) !== attr.value) a.setAttribute(attr.name, attr.value);
    }
    morphChildren(a, b);
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
    var headers = { Accept: opts.accept || 'application/json', 'X-Everynode-Dashboard-Token': TOKEN };
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
      // No HTTP answer at all: the dashboard server itself is gone (or did not answer in time).
      var down = new Error(ctl.signal.aborted ? 'no answer from the dashboard server within ' + REQUEST_TIMEOUT_MS / 1000 + ' s' : 'cannot reach the dashboard server');
      down.unreachable = true;
      throw down;
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) throw httpError(res, text);
    return text;
  }
  /** The Error of an answer that is not 2xx (flags: status, sessionEnded, unreachable). */
  function httpError(res, text) {
    var err = new Error(errorMessage(res, text));
    err.status = res.status;
    // The dashboard server's own 401 (not one of the API server's) means this browser's
    // session is not valid (any more): the server restarted with a new token.
    if (res.status === 401 && res.headers.get('X-Everynode-Dashboard-Session') === 'invalid') err.sessionEnded = true;
    // 502 is the dashboard server saying that the API server does not answer.
    if (res.status === 502) err.unreachable = true;
    return err;
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

  // ---- informer: list once, then watch --------------------------------------------------
  // Each of the four collections is listed once and then kept current by a Kubernetes watch
  // from the list's resourceVersion, applied to a Map keyed by "namespace/name". The four
  // watches share one connection, the dashboard server's /dashboard/watch (see proxy.ts):
  // browsers open at most six connections per host, so four per tab would starve a second tab.
  // Contracts:
  // - A watch that ends (its timeoutSeconds, a broken connection) is opened again from the last
  //   resourceVersion seen (an object's or a BOOKMARK's) of every collection; nothing is listed.
  // - A 410 (an ERROR event with code 410, or the API server's HTTP 410) relists that collection,
  //   then the watch resumes; any other ERROR event relists its collection after the back-off.
  // - No answer or a 502 is a lost connection (banner, dimmed data, retries doubling from
  //   INTERVAL up to MAX_BACKOFF_MS) and the re-watch starts from the last resourceVersions; a 401
  //   of the dashboard server ends the session: no more watches or polls until the refresh button.
  // - The refresh button relists all four collections (the watch is closed and opened again).
  // - ?refresh=0 (auto-refresh off): no watch and no timer; the page lists at load, on the
  //   refresh button and after a write, and fetches the selected DaemonSet's revisions when it
  //   is selected. Nothing changes by itself.
  // - Watch events do not redraw by themselves: a tick (runPoll) every INTERVAL ms, or longer
  //   while lost, re-polls the selected DaemonSet's revisions, renders what changed since (so a
  //   burst of events is one render) and reloads a followed log. The next tick waits at least
  //   four times as long as this one took, so a large fleet never keeps the browser more than ~20% busy.

  /** A collection: its list path, its objects by "namespace/name", the last resourceVersion seen. */
  function collection(name, path) {
    return { name: name, path: path, items: new Map(), rv: '', listed: false, stale: true, dirty: false };
  }
  var store = {
    nodes: collection('nodes', '/api/v1/nodes'),
    dss: collection('dss', '/apis/apps/v1/daemonsets'),
    pods: collection('pods', '/api/v1/pods'),
    events: collection('events', '/api/v1/events')
  };
  var COLLECTIONS = [store.nodes, store.dss, store.pods, store.events];
  /** A watch lasts 5 to 10 minutes (spread, as informers do), then resumes from its resourceVersion. */
  var WATCH_MIN_SECONDS = 300;
  /** A watch that ended sooner than this without news is opened again only after this long. */
  var MIN_WATCH_MS = 1000;
  /** Longest wait between two attempts while the server cannot be reached. */
  var MAX_BACKOFF_MS = 30000;

  /** The arrays the renderers read (sorted nodes, DaemonSets, newest-first events, pod index), from the Maps that changed. */
  function derive() {
    var now = Date.now();
    COLLECTIONS.forEach(function (c) {
      if (!c.dirty) return;
      c.dirty = false;
      var list = Array.from(c.items.values());
      if (c === store.nodes) state.nodes = list.sort(byName);
      else if (c === store.dss) state.dss = list.sort(byKey);
      else if (c === store.pods) { state.pods = list; indexPods(); }
      else {
        // A timestamp in the future (a wrong clock, a hand-made event) counts as now, so it
        // does not stay on top for good.
        var sortTime = function (e) { return Math.min(eventTime(e), now); };
        state.events = list.sort(function (a, b) { return sortTime(b) - sortTime(a); });
      }
    });
  }

  /**
   * A whole collection, LIST_PAGE items per request (continue tokens: every page is of one
   * snapshot, whose resourceVersion the watch starts from), so a large fleet never needs one
   * huge answer within REQUEST_TIMEOUT_MS. A continue token that expired (410) lists again from
   * the start, twice at most.
   */
  async function listAll(path) {
    for (var attempt = 0; ; attempt++) {
      var all = [], cont = '', rv = '';
      try {
        do {
          var page = await getJSON(path + '?limit=' + LIST_PAGE + (cont ? '&continue=' + enc(cont) : ''));
          items(page).forEach(function (o) { all.push(o); });
          var md = (page && page.metadata) || {};
          rv = md.resourceVersion || rv;
          cont = md.continue || '';
        } while (cont);
        return { items: all, metadata: { resourceVersion: rv } };
      } catch (e) {
        if (e.status === 410 && cont && attempt < 2) continue;
        throw e;
      }
    }
  }

  /** Lists the collections, replacing their Maps; resolves with the errors (none: all listed). */
  async function relist(cols) {
    cols.forEach(function (c) { c.stale = false; });
    var jobs = cols.map(function (c) { return listAll(c.path); });
    jobs.push(state.version ? Promise.resolve(null) : getJSON('/version'));
    var r = await Promise.allSettled(jobs);
    var errs = [];
    cols.forEach(function (c, i) {
      if (r[i].status === 'rejected') { c.stale = true; errs.push(r[i].reason); return; }
      var list = r[i].value, m = new Map();
      items(list).forEach(function (o) { m.set(key(o), o); });
      c.items = m;
      c.rv = (list && list.metadata && list.metadata.resourceVersion) || '';
      c.listed = true;
      c.dirty = true;
    });
    var v = r[cols.length];
    if (v.status === 'fulfilled' && v.value) state.version = v.value.gitVersion || null;
    return errs;
  }

  /**
   * Applies one line of /dashboard/watch. Returns null to go on, or {error} to stop the watch
   * (error null after a 410: the collection is marked stale and relisted).
   */
  function applyWatchLine(msg) {
    var c = msg && COLLECTIONS[msg.watch];
    if (!c) return null;
    var st = msg.status || (msg.event && msg.event.type === 'ERROR' ? msg.event.object || {} : null);
    if (st) {
      c.stale = true;
      if (st.code === 410) return { error: null };
      var err = new Error(st.message || 'watch of ' + c.path + ' failed (HTTP ' + st.code + ')');
      err.status = st.code;
      if (st.code === 502) err.unreachable = true;
      return { error: err };
    }
    var ev = msg.event || {}, obj = ev.object, rv = meta(obj).resourceVersion;
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') { c.items.set(key(obj), obj); c.dirty = true; }
    else if (ev.type === 'DELETED') { c.items.delete(key(obj)); c.dirty = true; }
    else if (ev.type !== 'BOOKMARK') return null;
    if (rv) c.rv = rv;
    return null;
  }

  /**
   * Watches every collection from its resourceVersion over one connection and applies the
   * events until the watch ends (or signal aborts it). Resolves with an error (no answer,
   * session ended, an error other than 410) or null. onOpen runs once the watch answered 200.
   */
  async function watchAll(signal, onOpen) {
    var seconds = WATCH_MIN_SECONDS + Math.floor(Math.random() * WATCH_MIN_SECONDS);
    var query = COLLECTIONS.map(function (c) {
      return 'path=' + enc(c.path + '?watch=1&allowWatchBookmarks=true&timeoutSeconds=' + seconds + '&resourceVersion=' + enc(c.rv));
    }).join('&');
    var res;
    try {
      res = await fetch('/dashboard/watch?' + query, { headers: { Accept: 'application/x-ndjson', 'X-Everynode-Dashboard-Token': TOKEN }, signal: signal, cache: 'no-store', credentials: 'same-origin' });
    } catch (e) {
      if (signal.aborted) return null;
      var down = new Error('cannot reach the dashboard server');
      down.unreachable = true;
      return down;
    }
    if (!res.ok) {
      var text = '';
      try { text = await res.text(); } catch (e) { /* the status is enough */ }
      return httpError(res, text);
    }
    onOpen();
    var reader = res.body.getReader(), decoder = new TextDecoder(), rest = '';
    try {
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) return null;
        var lines = (rest + decoder.decode(chunk.value, { stream: true })).split('\n');
        rest = lines.pop();
        for (var i = 0; i < lines.length; i++) {
          if (lines[i].trim() === '') continue;
          var msg;
          try { msg = JSON.parse(lines[i]); } catch (e) {
            COLLECTIONS.forEach(function (c) { c.stale = true; });
            return new Error('invalid data in the watch stream');
          }
          var stop = applyWatchLine(msg);
          if (stop) { reader.cancel().catch(function () { /* closing anyway */ }); return stop.error; }
        }
      }
    } catch (e) {
      // The stream broke (the server went away) or was aborted: the watch has ended; opening
      // it again tells which.
      return null;
    }
  }

  var sync = { running: false, live: false, abort: null, wake: null };
  /** Sleeps ms (Infinity: until woken); requestRefresh wakes it. */
  function sleep(ms) {
    return new Promise(function (resolve) {
      var t = ms === Infinity ? null : setTimeout(done, ms);
      function done() { clearTimeout(t); if (sync.wake === done) sync.wake = null; resolve(); }
      sync.wake = done;
    });
  }
  function backoffMs() {
    return Math.min(MAX_BACKOFF_MS, Math.max(INTERVAL, INTERVAL * Math.pow(2, state.failures)));
  }

  /** The refresh button (and, with auto-refresh off, a write): relists all four collections. */
  function requestRefresh() {
    COLLECTIONS.forEach(function (c) { c.stale = true; });
    if (sync.abort) sync.abort.abort();
    if (sync.wake) sync.wake();
    if (!sync.running) syncLoop();
  }

  /** Lists what is stale, watches, and again, until the session ends (see the contracts above). */
  async function syncLoop() {
    sync.running = true;
    try {
      for (;;) {
        var stale = COLLECTIONS.filter(function (c) { return c.stale; });
        var errs = [];
        if (stale.length > 0) {
          errs = await relist(stale);
          noteOutcome(errs);
          if (state.sessionEnded) { endSession(); return; }
          pollSoon();
        }
        if (errs.length === 0 && INTERVAL > 0) {
          var ctl = new AbortController(), opened = Date.now();
          sync.abort = ctl;
          var werr = await watchAll(ctl.signal, function () {
            sync.live = true;
            // Connected again: the banner goes, the data is current.
            if (state.error || state.lostSince) { noteOutcome([]); render(); }
          });
          sync.abort = null;
          sync.live = false;
          if (werr) {
            errs = [werr];
            noteOutcome(errs);
            if (state.sessionEnded) { endSession(); return; }
            render();
          } else if (!ctl.signal.aborted && !COLLECTIONS.some(function (c) { return c.stale; }) && Date.now() - opened < MIN_WATCH_MS) {
            await sleep(MIN_WATCH_MS);
          }
        }
        if (errs.length > 0) await sleep(INTERVAL > 0 ? backoffMs() : Infinity);
        else if (INTERVAL === 0 && !COLLECTIONS.some(function (c) { return c.stale; })) await sleep(Infinity);
      }
    } finally {
      sync.running = false;
    }
  }

  /** After the session ended: no tick, no log; the page shows why. */
  function endSession() {
    clearTimeout(pollTimer);
    pollTimer = null;
    closeLog();
    render();
  }

  /** Sets the banner state from the errors of a list or watch (none: all is well). */
  function noteOutcome(errs) {
    var failure = null, unreachable = null, ended = false;
    errs.forEach(function (why) {
      failure = failure || why.message;
      if (why.sessionEnded) ended = true;
      if (why.unreachable && !unreachable) unreachable = why.status === 502 ? 'the API server' : 'the dashboard server';
    });
    if (ended) {
      state.sessionEnded = true;
      state.error = TOKEN === ''
        ? 'Not signed in: open the address that everynode up or everynode dashboard printed (http://…/?token=…).'
        : 'Session ended: the dashboard server no longer accepts this browser\'s sign-in (it was restarted, and everynode up printed a new address). Open the new address printed by everynode up (http://…/?token=…).';
      return;
    }
    state.sessionEnded = false;
    if (unreachable) {
      state.failures++;
      if (!state.lostSince || state.lostWhat !== unreachable) { state.lostSince = state.lostSince || new Date(); state.lostWhat = unreachable; }
    } else {
      state.failures = failure ? state.failures + 1 : 0;
      state.lostSince = null;
      state.lostWhat = null;
    }
    // Until every collection has been listed once, the tables say "loading…" rather than "no items".
    state.loaded = state.loaded || COLLECTIONS.every(function (c) { return c.listed; });
    if (failure) { state.error = failure; } else { state.error = null; state.lastUpdated = new Date(); }
  }

  // ---- the tick: revisions, render, log follow -------------------------------------------
  // At most one tick runs at a time; one asked for while one runs (selection, write) runs
  // right after it; the timer is armed only when a tick has finished.

  var polling = false, pollAgain = false, pollTimer = null;
  function pollSoon() {
    if (polling) { pollAgain = true; return; }
    runPoll();
  }
  async function runPoll() {
    clearTimeout(pollTimer);
    pollTimer = null;
    polling = true;
    var started = Date.now();
    try {
      await loadRevisions();
    } finally {
      polling = false;
      // While the watch is open without error, the data is current.
      if (sync.live && !state.error) state.lastUpdated = new Date();
      render();
      if (state.sessionEnded) { pollAgain = false; closeLog(); return; }
      if (openLog && $('log-follow').checked && !state.lostSince) followLog();
      if (pollAgain) { pollAgain = false; runPoll(); }
      else if (INTERVAL > 0) {
        var wait = Math.max(INTERVAL, 4 * (Date.now() - started));
        if (state.failures > 0) wait = Math.min(MAX_BACKOFF_MS, Math.max(wait, INTERVAL * Math.pow(2, state.failures)));
        pollTimer = setTimeout(runPoll, wait);
      }
    }
  }
  /** The selected DaemonSet's controller revisions (a plain GET each tick: they change rarely and are few). */
  async function loadRevisions() {
    var sel = state.selected;
    if (!sel) return;
    var list = null, error = null;
    try { list = await getJSON('/apis/apps/v1/namespaces/' + enc(sel.split('/')[0]) + '/controllerrevisions'); } catch (e) { error = e.message; }
    if (sel !== state.selected) return;
    state.revisions = error === null
      ? { key: sel, items: items(list), error: null }
      : { key: sel, items: state.revisions && state.revisions.key === sel ? state.revisions.items : [], error: error };
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
  function condition(obj, type) {
    var conds = (obj.status && obj.status.conditions) || [];
    for (var i = 0; i < conds.length; i++) if (conds[i] && conds[i].type === type) return conds[i];
    return null;
  }
  function conditionStatus(obj, type) {
    var c = condition(obj, type);
    return c ? c.status : undefined;
  }
  /** 'Ready' | 'NotReady' | 'Unknown' from the node's Ready condition, as kubectl shows it (status Unknown is NotReady; no condition at all, Unknown). */
  function nodeReadiness(node) {
    var s = conditionStatus(node, 'Ready');
    return s === 'True' ? 'Ready' : s === undefined ? 'Unknown' : 'NotReady';
  }
  /** The node's Ready condition is Unknown (or missing): its agent stopped reporting, so what is known of its pods may be stale. */
  function nodeUnreachable(node) {
    var s = conditionStatus(node, 'Ready');
    return s !== 'True' && s !== 'False';
  }
  /** Tooltip of a node's status: its Ready condition's reason, message and last heartbeat, and other conditions that are not fine. */
  function nodeStatusTitle(node, now) {
    var c = condition(node, 'Ready');
    if (!c) return 'no Ready condition reported yet';
    var lines = ['Ready: ' + c.status + (c.reason ? ' (' + c.reason + ')' : '') + (c.message ? ': ' + c.message : '')];
    if (c.lastHeartbeatTime) lines.push('last heartbeat ' + c.lastHeartbeatTime + ' (' + age(c.lastHeartbeatTime, now) + ' ago)');
    if (c.lastTransitionTime) lines.push('since ' + c.lastTransitionTime);
    ((node.status && node.status.conditions) || []).forEach(function (o) {
      if (o && o.type !== 'Ready' && o.status !== 'False') lines.push(o.type + ': ' + o.status + (o.reason ? ' (' + o.reason + ')' : '') + (o.message ? ': ' + o.message : ''));
    });
    return lines.join('\n');
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
  /**
   * kubectl's STATUS and RESTARTS columns (printPod): while init containers run, the status is
   * Init:<reason> (or Init:N/M) and the restarts are the init containers'; afterwards the
   * regular containers' (plus those of restartable "sidecar" init containers). lastRestart is
   * the latest finishedAt of a counted container's last termination (ms, or 0).
   */
  function podInfo(p) {
    var st = p.status || {}, spec = p.spec || {};
    var reason = st.reason || st.phase || 'Unknown';
    var initSpecs = spec.initContainers || [];
    var restartable = restartableInitNames(spec);
    var restarts = 0, sidecarRestarts = 0, last = 0, sidecarLast = 0, initializing = false;
    var lastOf = function (c) {
      var t = Date.parse(c.lastState && c.lastState.terminated && c.lastState.terminated.finishedAt);
      return isFinite(t) ? t : 0;
    };
    var inits = st.initContainerStatuses || [];
    for (var i = 0; i < inits.length; i++) {
      var c = inits[i] || {}, s = c.state || {};
      restarts += count(c.restartCount);
      last = Math.max(last, lastOf(c));
      if (restartable[c.name]) { sidecarRestarts += count(c.restartCount); sidecarLast = Math.max(sidecarLast, lastOf(c)); }
      if (s.terminated && Number(s.terminated.exitCode) === 0) continue;
      if (restartable[c.name] && c.started === true) continue;
      if (s.terminated) {
        reason = s.terminated.reason ? 'Init:' + s.terminated.reason : s.terminated.signal ? 'Init:Signal:' + s.terminated.signal : 'Init:ExitCode:' + s.terminated.exitCode;
      } else if (s.waiting && s.waiting.reason && s.waiting.reason !== 'PodInitializing') {
        reason = 'Init:' + s.waiting.reason;
      } else {
        reason = 'Init:' + i + '/' + (initSpecs.length || inits.length);
      }
      initializing = true;
      break;
    }
    if (!initializing || conditionStatus(p, 'Initialized') === 'True') {
      restarts = sidecarRestarts;
      last = sidecarLast;
      var hasRunning = false;
      var cs = st.containerStatuses || [];
      for (var j = cs.length - 1; j >= 0; j--) {
        var k = cs[j] || {}, ks = k.state || {};
        restarts += count(k.restartCount);
        last = Math.max(last, lastOf(k));
        if (ks.waiting && ks.waiting.reason) reason = ks.waiting.reason;
        else if (ks.terminated && ks.terminated.reason) reason = ks.terminated.reason;
        else if (ks.terminated) reason = ks.terminated.signal ? 'Signal:' + ks.terminated.signal : 'ExitCode:' + ks.terminated.exitCode;
        else if (k.ready && ks.running) hasRunning = true;
      }
      if (reason === 'Completed' && hasRunning) reason = conditionStatus(p, 'Ready') === 'True' ? 'Running' : 'NotReady';
    }
    if (meta(p).deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : (st.phase === 'Succeeded' || st.phase === 'Failed') ? reason : 'Terminating';
    return { reason: reason, restarts: restarts, lastRestart: last };
  }
  function podStatusText(p) { return podInfo(p).reason; }
  /** Per container (init ones marked): the waiting message and the last termination, for a tooltip. */
  function containerDetails(p) {
    var st = p.status || {};
    var lines = [];
    var add = function (c, init) {
      if (!c) return;
      var s = c.state || {}, parts = [];
      if (s.waiting) parts.push('waiting: ' + (s.waiting.reason || '') + (s.waiting.message ? ': ' + s.waiting.message : ''));
      else if (s.terminated) parts.push('terminated: ' + (s.terminated.reason || '') + ' exit code ' + s.terminated.exitCode);
      else if (s.running) parts.push('running');
      var lt = c.lastState && c.lastState.terminated;
      if (lt) parts.push('last exit code ' + lt.exitCode + (lt.reason ? ' (' + lt.reason + ')' : '') + (lt.finishedAt ? ' at ' + lt.finishedAt : ''));
      if (count(c.restartCount)) parts.push(plural(count(c.restartCount), 'restart', 'restarts'));
      lines.push((init ? 'init container ' : 'container ') + c.name + ': ' + parts.join('; '));
    };
    (st.initContainerStatuses || []).forEach(function (c) { add(c, true); });
    (st.containerStatuses || []).forEach(function (c) { add(c, false); });
    return lines.join('\n');
  }
  /** The names of the restartable ("sidecar") init containers, in a map without a prototype (a container may be named "constructor"). */
  function restartableInitNames(spec) {
    var names = Object.create(null);
    ((spec && spec.initContainers) || []).forEach(function (c) { if (c && c.restartPolicy === 'Always') names[c.name] = true; });
    return names;
  }
  /** kubectl's READY: ready containers of all, sidecar init containers counted (ready once started). */
  function readyContainers(p) {
    var st = p.status || {};
    var cs = st.containerStatuses || [];
    var sidecars = restartableInitNames(p.spec);
    var total = ((p.spec && p.spec.containers) || []).length || cs.length;
    total += Object.keys(sidecars).length;
    var ready = cs.filter(function (c) { return c.ready === true; }).length;
    ready += (st.initContainerStatuses || []).filter(function (c) { return c && sidecars[c.name] === true && c.started === true && c.ready === true; }).length;
    return ready + '/' + total;
  }
  /** Like kubectl's RESTARTS: "4" or "4 (2m ago)". */
  function restartsText(p, now) {
    var info = podInfo(p);
    return info.restarts + (info.restarts > 0 && info.lastRestart ? ' (' + age(new Date(info.lastRestart).toISOString(), now) + ' ago)' : '');
  }
  function tolerates(tolerations, taint) {
    return tolerations.some(function (t) {
      if (t.effect && t.effect !== taint.effect) return false;
      if (t.operator === 'Exists') return !t.key || t.key === taint.key;
      return t.key === taint.key && (t.value || '') === (taint.value || '');
    });
  }
  /**
   * One node selector requirement against the node's labels (matchExpressions) or fields
   * (matchFields: metadata.name only): true, false, or null when it cannot be evaluated here
   * (an unknown operator or field, a malformed Gt/Lt value).
   */
  function requirementMatches(req, values, isField) {
    if (!req || typeof req.key !== 'string') return null;
    if (isField && req.key !== 'metadata.name') return null;
    var has = Object.prototype.hasOwnProperty.call(values, req.key);
    var v = has ? String(values[req.key]) : undefined;
    var list = Array.isArray(req.values) ? req.values.map(String) : [];
    switch (req.operator) {
      case 'In': return has && list.indexOf(v) >= 0;
      case 'NotIn': return !has || list.indexOf(v) < 0;
      case 'Exists': return isField ? null : has;
      case 'DoesNotExist': return isField ? null : !has;
      case 'Gt': case 'Lt': {
        if (isField || list.length !== 1 || !/^-?[0-9]+$/.test(list[0])) return null;
        if (!has || !/^-?[0-9]+$/.test(v)) return false;
        return req.operator === 'Gt' ? Number(v) > Number(list[0]) : Number(v) < Number(list[0]);
      }
      default: return null;
    }
  }
  /**
   * requiredDuringSchedulingIgnoredDuringExecution of a node affinity: its terms are ORed, the
   * requirements of one term ANDed; a term without requirements matches nothing. true, false,
   * or null when the answer depends on a requirement that cannot be evaluated.
   */
  function nodeAffinityMatches(required, node) {
    var terms = (required && required.nodeSelectorTerms) || [];
    var labels = meta(node).labels || {}, fields = { 'metadata.name': meta(node).name };
    var unknown = false;
    for (var i = 0; i < terms.length; i++) {
      var exprs = (terms[i] && terms[i].matchExpressions) || [], flds = (terms[i] && terms[i].matchFields) || [];
      if (exprs.length + flds.length === 0) continue;
      var result = true;
      for (var j = 0; j < exprs.length + flds.length && result !== false; j++) {
        var r = j < exprs.length ? requirementMatches(exprs[j], labels, false) : requirementMatches(flds[j - exprs.length], fields, true);
        if (r === false) result = false;
        else if (r === null) result = null;
      }
      if (result === true) return true;
      if (result === null) unknown = true;
    }
    return unknown ? null : false;
  }
  /**
   * Whether the DaemonSet's pod template would be placed on the node: its nodeSelector, its
   * required node affinity and the node's taints. true, false, or null when that cannot be
   * told here.
   */
  function dsFitsNode(ds, node) {
    var spec = (ds.spec && ds.spec.template && ds.spec.template.spec) || {};
    var labels = meta(node).labels || {};
    var sel = spec.nodeSelector || {};
    for (var k in sel) if (labels[k] !== sel[k]) return false;
    var tols = spec.tolerations || [];
    var taints = (node.spec && node.spec.taints) || [];
    var tolerated = taints.every(function (t) {
      return t.effect === 'PreferNoSchedule' || DS_TOLERATED_TAINTS[t.key] === true || tolerates(tols, t);
    });
    if (!tolerated) return false;
    var required = spec.affinity && spec.affinity.nodeAffinity && spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    return required ? nodeAffinityMatches(required, node) : true;
  }
  var SEVERITY = { ready: 0, pending: 1, failed: 2 };
  /**
   * A matrix cell: the most severe state of the DaemonSet's pods on the node; without a pod,
   * 'missing' when the DaemonSet has pods elsewhere, its status says that fewer pods are
   * scheduled than desired, and the node is Ready, schedulable and surely fits the template
   * (a hint, not the controller's placement), else 'none'. stale: the node is unreachable, so
   * its pods' states are the last ones it reported.
   */
  function cell(ds, node, dsHasPods, unreachable) {
    var byNode = state.podsByDs.get(meta(ds).uid);
    var pods = (byNode && byNode.get(meta(node).name)) || [];
    var staleNote = unreachable ? ' (stale: node ' + meta(node).name + ' is unreachable, this is its last report)' : '';
    if (pods.length > 0) {
      var worst = 'ready';
      var parts = pods.map(function (p) {
        var s = podState(p);
        if (SEVERITY[s] > SEVERITY[worst]) worst = s;
        return 'pod ' + key(p) + ': ' + podStatusText(p) + (isPodReady(p) ? ', ready' : ', not ready');
      });
      return { state: worst, stale: unreachable, title: parts.join('; ') + staleNote };
    }
    var c = dsCounts(ds);
    if (dsHasPods && c.observed && c.current < c.desired && !unreachable && nodeReadiness(node) === 'Ready' && !(node.spec && node.spec.unschedulable) && dsFitsNode(ds, node) === true) {
      return { state: 'missing', stale: false, title: 'no pod of ' + key(ds) + ' on ' + meta(node).name + ' (node Ready, schedulable and matching the template; ' + c.current + ' of ' + c.desired + ' desired pods scheduled)' };
    }
    return { state: 'none', stale: unreachable, title: 'no pod of ' + key(ds) + ' on ' + meta(node).name + staleNote };
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
    derive();
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
    var text = state.error || '';
    if (!state.sessionEnded && state.lostSince) {
      text = 'Lost connection to ' + state.lostWhat + ' since ' + state.lostSince.toLocaleTimeString() +
        ': the data below is from ' + (state.lastUpdated ? state.lastUpdated.toLocaleTimeString() : 'nowhere yet') + ' (' + state.error + '; retrying less often).';
    }
    banner.hidden = !text;
    banner.textContent = text;
    banner.setAttribute('data-kind', state.sessionEnded ? 'session-ended' : state.lostSince ? 'lost' : state.error ? 'error' : '');
    // Data that may be out of date is dimmed; after the end of the session it is dimmed more
    // and cannot be used (its pods and buttons may not exist any more).
    document.body.classList.toggle('data-stale', !!state.lostSince && !state.sessionEnded);
    document.body.classList.toggle('session-ended', state.sessionEnded);
    $('main').inert = state.sessionEnded;
    var upd = $('last-updated');
    upd.textContent = state.sessionEnded ? 'session ended' : state.lastUpdated ? 'updated ' + state.lastUpdated.toLocaleTimeString() : (state.error ? 'not updated' : 'loading…');
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
    var complete = isComplete(c);
    var pct = function (n) { return c.desired > 0 ? Math.min(100, Math.round((n / c.desired) * 100)) : 0; };
    var text = complete ? (c.desired === 0 ? 'nothing to roll out (no node matches)' : 'complete')
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
    return seen.map(breakable).join('<br>');
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

  function isComplete(c) {
    return c.observed && c.updated === c.desired && c.available === c.desired && c.current === c.desired && c.ready === c.desired;
  }
  /**
   * The DaemonSet's status: Failing (its pods in a failed state, by reason) wins over
   * everything, then waiting for the controller, Complete, no matching node, Rolling out.
   */
  function dsStatus(ds) {
    var c = dsCounts(ds), reasons = {}, failing = 0;
    podsOf(ds).forEach(function (p) {
      if (podState(p) !== 'failed') return;
      failing++;
      var r = podStatusText(p);
      reasons[r] = (reasons[r] || 0) + 1;
    });
    var misscheduled = count(ds.status && ds.status.numberMisscheduled);
    var extra = misscheduled > 0 ? misscheduled + ' misscheduled' : '';
    if (failing > 0) {
      var parts = Object.keys(reasons).sort().map(function (r) { return reasons[r] + ' ' + r; });
      return { kind: 'failing', cls: 'status-bad', text: 'Failing: ' + parts.join(', '), extra: extra };
    }
    if (!c.observed) return { kind: 'waiting', cls: 'muted', text: 'Waiting for the controller', extra: extra };
    if (c.desired === 0) return { kind: 'idle', cls: 'status-warn', text: 'No matching nodes', extra: extra };
    if (isComplete(c)) return { kind: 'complete', cls: 'status-ok', text: 'Complete', extra: extra };
    return { kind: 'rolling', cls: 'status-warn', text: 'Rolling out', extra: extra };
  }
  /** One node selector requirement as text: "key In (a, b)", "key Exists", "metadata.name NotIn (x)". */
  function requirementText(r) {
    if (!r) return '';
    var vals = Array.isArray(r.values) && r.values.length ? ' (' + r.values.join(', ') + ')' : '';
    return r.key + ' ' + r.operator + vals;
  }
  /** Where the pods may go: nodeSelector and required node affinity, as tags. */
  /** Escaped text that may wrap after '/', '=' and ':' (label keys, reasons such as Init:CrashLoopBackOff). */
  function breakable(text) {
    return esc(text).replace(/([\/=:])/g, '$1<wbr>');
  }
  function placement(ds) {
    var spec = (ds.spec && ds.spec.template && ds.spec.template.spec) || {};
    var out = [];
    var sel = spec.nodeSelector || {};
    Object.keys(sel).sort().forEach(function (k) { out.push('<span class="tag breakable" title="nodeSelector">' + breakable(k + '=' + sel[k]) + '</span>'); });
    var req = spec.affinity && spec.affinity.nodeAffinity && spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    var terms = (req && req.nodeSelectorTerms) || [];
    var termTexts = terms.map(function (t) {
      return ((t && t.matchExpressions) || []).concat((t && t.matchFields) || []).map(requirementText).join(' and ');
    });
    if (termTexts.length) out.push('<span class="tag breakable" title="required node affinity (terms ORed)">affinity: ' + breakable(termTexts.join(' or ')) + '</span>');
    return out.length ? out.join('') : '<span class="muted">all nodes</span>';
  }

  /** Whether the filter is in use (some words typed). */
  function filterWords() {
    return $('ds-filter').value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  }
  /**
   * The DaemonSets the table and the matrix show: those whose namespace/name, images or labels
   * (the DaemonSet's and its template's) contain every word of the filter; with "problems first", failing ones first, then rolling
   * out, waiting, matching no node, complete (name order within each).
   */
  function shownDss() {
    var words = filterWords();
    var list = !words.length ? state.dss : state.dss.filter(function (ds) {
      var tpl = (ds.spec && ds.spec.template && ds.spec.template.spec) || {};
      // Its own labels and its pods' (the template's): manifests put app labels on either.
      var labels = Object.assign({}, (ds.spec && ds.spec.template && ds.spec.template.metadata && ds.spec.template.metadata.labels) || {}, meta(ds).labels || {});
      var hay = [key(ds)].concat((tpl.initContainers || []).concat(tpl.containers || []).map(function (c) { return c.image || ''; }))
        .concat(Object.keys(labels).map(function (k) { return k + '=' + labels[k]; })).join('\n').toLowerCase();
      return words.every(function (w) { return hay.indexOf(w) >= 0; });
    });
    if ($('ds-problems-first').checked) {
      var rank = { failing: 0, rolling: 1, waiting: 2, idle: 3, complete: 4 };
      list = list.map(function (ds, i) { return { ds: ds, i: i, r: rank[dsStatus(ds).kind] }; })
        .sort(function (a, b) { return a.r - b.r || a.i - b.i; }).map(function (x) { return x.ds; });
    }
    return list;
  }

  function renderDaemonSets(now) {
    if (!state.loaded) return;
    var shown = shownDss(), filtered = filterWords().length > 0;
    $('ds-filter-note').textContent = filtered ? shown.length + ' of ' + plural(state.dss.length, 'DaemonSet', 'DaemonSets') + ' shown' : '';
    var rows = shown.map(function (ds) {
      var k = key(ds), c = dsCounts(ds), sel = k === state.selected;
      var tpl = (ds.spec && ds.spec.template && ds.spec.template.spec) || {};
      var st = dsStatus(ds);
      return '<tr class="ds' + (sel ? ' selected' : '') + '" data-testid="ds-row" data-name="' + esc(k) + '" tabindex="0" aria-selected="' + sel + '">' +
        '<td class="name"><span class="ns">' + esc(meta(ds).namespace) + '/</span>' + esc(meta(ds).name) + '</td>' +
        '<td data-testid="ds-status" data-status="' + st.kind + '" class="' + st.cls + '">' + breakable(st.text) +
          (st.extra ? '<br><span class="status-warn" data-testid="ds-misscheduled">' + esc(st.extra) + '</span>' : '') + '</td>' +
        '<td class="num" data-testid="ds-desired">' + c.desired + '</td>' +
        '<td class="num" data-testid="ds-current">' + c.current + '</td>' +
        '<td class="num" data-testid="ds-ready">' + c.ready + '</td>' +
        '<td class="num" data-testid="ds-updated">' + c.updated + '</td>' +
        '<td class="num" data-testid="ds-available">' + c.available + '</td>' +
        '<td class="rollout">' + progress(c) + '</td>' +
        '<td data-testid="ds-placement">' + placement(ds) + '</td>' +
        '<td class="mono name">' + images((tpl.initContainers || []).concat(tpl.containers || [])) + '</td>' +
        '<td>' + strategy(ds) + '</td>' +
        ageCell(meta(ds).creationTimestamp, now) + '</tr>';
    });
    setHtml($('ds-body'), rows.length ? rows.join('') : filtered && state.dss.length ? '<tr><td class="empty" colspan="12">No DaemonSet matches the filter.</td></tr>' : '<tr><td class="empty" colspan="12">No DaemonSets. Create one with <span class="mono">everynode apply -f daemonset.yaml</span>.</td></tr>');
  }

  /**
   * The matrix: every node's cells are computed and counted in the legend; at most MATRIX_MAX
   * nodes are drawn. When nodes are cut, the nodes with a failed, pending or missing cell (or
   * an unreachable node) come first, and the note says how many of them are not drawn.
   */
  function renderMatrix() {
    if (!state.loaded) return;
    var note = $('matrix-note');
    var totals = { ready: 0, pending: 0, failed: 0, missing: 0, none: 0, stale: 0 };
    // The columns are the DaemonSets the filter shows, in the table's order.
    var dss = shownDss();
    $('legend-scope').textContent = dss.length < state.dss.length ? '(counts over all nodes, of the ' + plural(dss.length, 'DaemonSet', 'DaemonSets') + ' shown)' : '(counts over all nodes)';
    if (state.nodes.length === 0 || dss.length === 0) {
      note.hidden = true;
      setHtml($('matrix'), '<tbody><tr><td class="empty">' + (state.nodes.length === 0 ? 'No nodes registered.' : state.dss.length ? 'No DaemonSet matches the filter.' : 'No DaemonSets.') + '</td></tr></tbody>');
    } else {
      var hasPods = dss.map(function (ds) { return state.podsByDs.has(meta(ds).uid); });
      var rows = state.nodes.map(function (node) {
        var unreachable = nodeUnreachable(node), problem = unreachable;
        var cells = dss.map(function (ds, i) {
          var c = cell(ds, node, hasPods[i], unreachable);
          totals[c.state]++;
          // Stale counts pods whose status may be old (their node unreachable), not empty cells.
          if (c.stale && c.state !== 'none') totals.stale++;
          if (c.state !== 'ready' && c.state !== 'none') problem = true;
          return c;
        });
        return { node: node, cells: cells, problem: problem };
      });
      var problems = rows.filter(function (r) { return r.problem; }).length;
      var shown = rows;
      if (rows.length > MATRIX_MAX_NODES) {
        shown = rows.filter(function (r) { return r.problem; }).concat(rows.filter(function (r) { return !r.problem; })).slice(0, MATRIX_MAX_NODES);
        var hiddenProblems = Math.max(0, problems - MATRIX_MAX_NODES);
        note.textContent = 'showing ' + MATRIX_MAX_NODES + ' of ' + rows.length + ' nodes: ' +
          (problems === 0 ? 'no node has a failed, pending or missing pod; the first by name'
            : 'the ' + plural(problems, 'node', 'nodes') + ' with failed, pending or missing pods (or unreachable) first' +
              (hiddenProblems > 0 ? '; ' + plural(hiddenProblems, 'node with problems is', 'nodes with problems are') + ' not shown' : '')) +
          '. The legend counts all ' + rows.length + ' nodes.';
        note.setAttribute('data-hidden-problems', String(hiddenProblems));
        note.hidden = false;
      } else {
        note.hidden = true;
      }
      // Columns come by namespace, then name: with more than one namespace, each says its own.
      var manyNs = dss.some(function (ds) { return meta(ds).namespace !== meta(dss[0]).namespace; });
      var head = '<thead><tr><th class="corner"><span class="sr-only">Node</span></th>' + dss.map(function (ds) {
        var k = key(ds);
        return '<th scope="col" class="' + (k === state.selected ? 'selected' : '') + '" title="' + esc(k) + '"><div class="vlabel" data-testid="matrix-column" data-select="' + esc(k) + '">' + esc(manyNs ? k : meta(ds).name) + '</div></th>';
      }).join('') + '</tr></thead>';
      // One tab stop for the whole grid (the cell last moved to, else the first one); the arrow
      // keys move it (matrixKey), Enter or Space selects the cell's DaemonSet.
      var stop = shown.length > 0 ? meta(shown[0].node).name + '|' + key(dss[0]) : null;
      if (state.matrixFocus && shown.some(function (r) { return state.matrixFocus.indexOf(meta(r.node).name + '|') === 0; }) &&
          dss.some(function (ds) { return state.matrixFocus.slice(state.matrixFocus.indexOf('|') + 1) === key(ds); })) stop = state.matrixFocus;
      var body = shown.map(function (r) {
        var name = meta(r.node).name, readiness = nodeReadiness(r.node), unreachable = nodeUnreachable(r.node);
        return '<tr data-node="' + esc(name) + '"><th scope="row" class="' + (readiness === 'Ready' ? '' : 'notready') + '" title="' + esc(name + ': ' + readiness + (unreachable ? ' (unreachable: its cells show the last report)' : '')) + '"><span class="rowname">' + esc(name) + '</span></th>' +
          r.cells.map(function (c, i) {
            var ds = dss[i];
            return '<td class="cell st-' + c.state + (c.stale ? ' stale' : '') + '" data-testid="matrix-cell" data-node="' + esc(name) + '" data-ds="' + esc(key(ds)) +
              '" data-state="' + c.state + '"' + (c.stale ? ' data-stale="true"' : '') + ' data-select="' + esc(key(ds)) + '" title="' + esc(c.title) +
              '" aria-label="' + esc(key(ds) + ' on ' + name + ': ' + (c.state === 'none' ? 'no pod' : c.state) + (c.stale ? ' (stale)' : '')) + '" tabindex="' + (name + '|' + key(ds) === stop ? '0' : '-1') + '"></td>';
          }).join('') + '</tr>';
      }).join('');
      setHtml($('matrix'), head + '<tbody>' + body + '</tbody>');
    }
    ['ready', 'pending', 'failed', 'missing', 'stale'].forEach(function (s) { $('legend-' + s).textContent = String(totals[s]); });
  }

  function taintsText(node) {
    return ((node.spec && node.spec.taints) || []).map(function (t) {
      return '<span class="tag">' + esc(t.key + (t.value ? '=' + t.value : '') + ':' + t.effect) + '</span>';
    }).join('');
  }
  /** Labels under the prefixes Kubernetes itself uses (kubernetes.io, k8s.io and their subdomains). */
  function wellKnownLabel(k) {
    var slash = k.indexOf('/');
    if (slash < 0) return false;
    var prefix = k.slice(0, slash);
    return /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  }
  /** The labels set by users first, then the kubernetes.io ones; 4 shown, the rest in a <details>. */
  function labelsText(labels) {
    labels = labels || {};
    var keys = Object.keys(labels).sort(function (a, b) {
      var wa = wellKnownLabel(a), wb = wellKnownLabel(b);
      return wa === wb ? (a < b ? -1 : a > b ? 1 : 0) : wa ? 1 : -1;
    });
    var tag = function (k) { return '<span class="tag' + (wellKnownLabel(k) ? ' muted' : '') + '">' + esc(labels[k] === '' ? k : k + '=' + labels[k]) + '</span>'; };
    var shown = keys.slice(0, 4).map(tag).join('');
    if (keys.length <= 4) return shown;
    return shown + '<details class="more"><summary>+' + (keys.length - 4) + ' more</summary>' + keys.slice(4).map(tag).join('') + '</details>';
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
      var ready = condition(node, 'Ready');
      var why = readiness === 'Ready' || !ready ? '' : ready.reason || '';
      var info = (node.status && node.status.nodeInfo) || {};
      return '<tr data-testid="node-row" data-name="' + esc(m.name) + '">' +
        '<td class="nodename">' + esc(m.name) + '</td>' +
        '<td data-testid="node-status" class="nowrap ' + (readiness === 'Ready' ? (unsched ? 'status-warn' : 'status-ok') : 'status-bad') + '" title="' + esc(nodeStatusTitle(node, now)) + '"' +
          (nodeUnreachable(node) ? ' data-unreachable="true"' : '') + '>' + esc(status) + (why ? ' <span class="muted">(' + esc(why) + ')</span>' : '') + '</td>' +
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
    var t = eventTime(e), future = t > now + 60000;
    return '<tr data-testid="event-row" data-type="' + esc(e.type) + '"' + (warn ? ' class="warning"' : '') + '>' +
      '<td class="num" title="' + esc((future ? 'timestamp in the future: ' : '') + eventIso(e)) + '"' + (future ? ' data-future="true"' : '') + '>' +
        (future ? '<span class="status-warn">future</span>' : esc(t ? age(eventIso(e), now) : '')) + '</td>' +
      '<td class="type">' + esc(e.type) + '</td>' +
      '<td>' + esc(e.reason) + '</td>' +
      '<td class="mono">' + esc(io.kind) + '/' + (io.namespace ? esc(io.namespace) + '/' : '') + esc(io.name) + '</td>' +
      '<td class="msg">' + esc(e.message) + '</td>' +
      '<td class="num">' + (count(e.count) || 1) + '</td></tr>';
  }
  var EVENT_HEAD = '<thead><tr><th class="num">Last seen</th><th>Type</th><th>Reason</th><th>Object</th><th>Message</th><th class="num">Count</th></tr></thead>';

  function renderEvents(now) {
    if (!state.loaded) return;
    var warningsOnly = $('events-warnings-only').checked;
    var list = warningsOnly ? state.events.filter(function (e) { return e.type === 'Warning'; }) : state.events;
    var rows = list.slice(0, EVENTS_MAX).map(function (e) { return eventRow(e, now); });
    setHtml($('events-body'), rows.length ? rows.join('') : '<tr><td class="empty" colspan="6">' + (warningsOnly ? 'No warnings.' : 'No events.') + '</td></tr>');
  }

  function renderDetail(now) {
    var panel = $('detail');
    panel.hidden = !state.selected;
    if (!state.selected) return;
    var sel = state.selected;
    var ds = state.dss.filter(function (d) { return key(d) === sel; })[0];
    var action = state.action ? '<span class="action ' + (state.action.error ? 'err' : 'ok') + '" data-testid="action-status">' + esc(state.action.text) + '</span>' : '';
    // While a write runs the buttons are aria-disabled (and their clicks ignored), not disabled:
    // a disabled button would lose the keyboard focus.
    var head = '<div class="head"><h2 class="name">DaemonSet <span class="ns">' + esc(sel.split('/')[0]) + '/</span>' + esc(sel.split('/').slice(1).join('/')) + '</h2>' +
      (ds ? '<button type="button" class="primary" data-testid="restart-button" data-action="restart" aria-disabled="' + state.busy + '">Restart</button>' : '') +
      action + '<span class="spacer"></span><button type="button" data-action="close" title="close the panel">✕</button></div>';
    if (!ds) {
      setHtml($('detail-body'), head + '<p class="muted">' + (state.loaded ? 'This DaemonSet does not exist (any more).' : 'loading…') + '</p>');
      return;
    }
    // Problem pods first (failed, then pending), each group by node name.
    var pods = podsOf(ds).sort(function (a, b) {
      return (SEVERITY[podState(b)] - SEVERITY[podState(a)]) ||
        String((a.spec && a.spec.nodeName) || '').localeCompare(String((b.spec && b.spec.nodeName) || ''), undefined, { numeric: true });
    });
    var podRows = pods.map(function (p) {
      var m = meta(p), st = p.status || {}, statusText = podStatusText(p), ps = podState(p);
      var inits = (p.spec && p.spec.initContainers) || [], containers = (p.spec && p.spec.containers) || [];
      var many = inits.length + containers.length > 1;
      var logButton = function (c, init) {
        return '<button type="button" data-testid="pod-logs-button" data-action="logs" data-ns="' + esc(m.namespace) + '" data-pod="' + esc(m.name) +
          '" data-container="' + esc(c.name) + '"' + (init ? ' data-init="true"' : '') + ' title="' + esc('log of ' + (init ? 'init container ' : 'container ') + c.name) + '">' +
          (many ? esc(c.name) + (init ? ' <span class="muted">(init)</span>' : '') : 'logs') + '</button> ';
      };
      var logButtons = inits.map(function (c) { return logButton(c, true); }).join('') + containers.map(function (c) { return logButton(c, false); }).join('');
      var details = containerDetails(p);
      return '<tr data-testid="pod-row" data-name="' + esc(key(p)) + '">' +
        '<td class="mono name short">' + esc(m.name) + '</td>' +
        '<td class="name short">' + esc((p.spec && p.spec.nodeName) || '(unscheduled)') + '</td>' +
        '<td data-testid="pod-status" class="' + (ps === 'failed' ? 'status-bad' : ps === 'pending' ? 'status-warn' : 'status-ok') + '" title="' + esc('phase ' + (st.phase || 'Unknown') + (details ? '\n' + details : '')) + '">' +
          esc(statusText) + (statusText !== st.phase && st.phase ? ' <span class="muted">(' + esc(st.phase) + ')</span>' : '') + '</td>' +
        '<td class="num" data-testid="pod-ready">' + esc(readyContainers(p)) + '</td>' +
        '<td class="num nowrap" data-testid="pod-restarts">' + esc(restartsText(p, now)) + '</td>' +
        ageCell(m.creationTimestamp, now) +
        '<td class="actions">' + (many ? '<span class="muted">logs:</span> ' : '') + logButtons +
        '<button type="button" class="danger" data-testid="pod-delete-button" data-action="delete" data-ns="' + esc(m.namespace) + '" data-pod="' + esc(m.name) + '" aria-disabled="' + state.busy + '">delete</button></td></tr>';
    });
    var podTable = '<div class="scroll detail-pods"><table class="grid"><thead><tr><th>Pod</th><th>Node</th><th>Status</th><th class="num">Ready</th><th class="num">Restarts</th><th class="num">Age</th><th>Actions</th></tr></thead><tbody>' +
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
    if (k) pollSoon();
  }

  var logSeq = 0;
  /** How long follow waits for the DaemonSet's new pod on the node after the followed pod went away. */
  var LOG_REPLACEMENT_WAIT_MS = 30000;
  /**
   * A followed log whose reads have failed (not a pod gone) for this long, 3 times at least,
   * stops being asked for; ?logGiveUp=SECONDS changes it.
   */
  var LOG_GIVE_UP_MS = (function () {
    var n = Number(new URLSearchParams(location.search).get('logGiveUp'));
    return isFinite(n) && n > 0 ? n * 1000 : 30000;
  })();
  /**
   * The log on show ({ns, pod, container, dsUid, node, goneSince, ended}), reloaded after every
   * refresh while "follow" is on. dsUid and node are those of the pod when it was opened: when
   * the pod is gone, follow moves to the DaemonSet's new pod on the same node.
   */
  var openLog = null;
  function closeLog() {
    logSeq++;
    openLog = null;
    $('log-box').hidden = true;
    $('log-view').textContent = '';
    setLogNote('', false);
  }
  function setLogNote(text, bad) {
    var n = $('log-note');
    n.textContent = text;
    n.className = 'action' + (bad ? ' err' : '');
    n.hidden = !text;
  }
  function findPod(ns, name) {
    return store.pods.items.get(ns + '/' + name) || null;
  }
  /** The newest pod (not being deleted) of the DaemonSet on the node, other than the one named. */
  function replacementPod(dsUid, node, oldName) {
    var byNode = dsUid && state.podsByDs.get(dsUid);
    var list = ((byNode && byNode.get(node)) || []).filter(function (p) { return meta(p).name !== oldName && !meta(p).deletionTimestamp; });
    list.sort(function (a, b) { return String(meta(b).creationTimestamp).localeCompare(String(meta(a).creationTimestamp)); });
    return list[0] || null;
  }
  /**
   * After a refresh, with follow on: reloads the log; when the pod is gone (not listed, or its
   * log answered 404), switches to the DaemonSet's new pod on the same node, or waits up to
   * LOG_REPLACEMENT_WAIT_MS for one (without asking for the gone pod's log), then stops.
   */
  function followLog() {
    var l = openLog;
    if (!l || l.ended) return;
    var pod = state.error ? true : findPod(l.ns, l.pod);
    if (pod && !l.notFound) { showLog(l.ns, l.pod, l.container, true); return; }
    var next = replacementPod(l.dsUid, l.node, l.pod);
    var old = l.ns + '/' + l.pod;
    if (next) {
      var names = ((next.spec && next.spec.initContainers) || []).concat((next.spec && next.spec.containers) || []).map(function (c) { return c.name; });
      var container = names.indexOf(l.container) >= 0 ? l.container : (((next.spec && next.spec.containers) || [])[0] || {}).name || l.container;
      showLog(l.ns, meta(next).name, container, false, { dsUid: l.dsUid, node: l.node });
      setLogNote('pod ' + old + ' was replaced by ' + meta(next).name + ' on node ' + l.node + ': following the new pod', false);
      return;
    }
    if (!l.goneSince) l.goneSince = Date.now();
    // No new pod can come when the DaemonSet or the node is gone.
    var dsLives = !!l.dsUid && state.dss.some(function (d) { return meta(d).uid === l.dsUid; });
    var nodeLives = !!l.node && state.nodes.some(function (n) { return meta(n).name === l.node; });
    if (dsLives && nodeLives && Date.now() - l.goneSince < LOG_REPLACEMENT_WAIT_MS) {
      setLogNote('pod ' + old + ' is gone; waiting for the DaemonSet\'s new pod on node ' + l.node + '…', true);
      return;
    }
    l.ended = true;
    $('log-follow').checked = false;
    setLogNote('pod ' + old + ' was deleted' + (!dsLives ? (l.dsUid ? ' with its DaemonSet' : '') : !nodeLives ? ' with its node ' + l.node : ' and no new pod of its DaemonSet came up on node ' + l.node) +
      ': follow stopped (the log below is its last)', true);
  }
  /** Terminal escape sequences (colours, cursor moves, titles) are removed from logs. */
  function stripAnsi(text) {
    return text.replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '').replace(/\x1b\[[0-?]*[ -\/]*[@-~]/g, '').replace(/\x1b[@-Z\\-_]/g, '');
  }
  /**
   * Loads the last lines of one container's log into the log view; a newer load wins. "quiet"
   * (a follow reload) keeps the old text until the new arrives, and the view scrolled to the
   * end only if it was there.
   */
  async function showLog(ns, pod, container, quiet, origin) {
    var seq = ++logSeq;
    var view = $('log-view');
    var known = findPod(ns, pod);
    var same = openLog && openLog.ns === ns && openLog.pod === pod && openLog.container === container;
    if (!same) setLogNote('', false);
    openLog = {
      ns: ns, pod: pod, container: container,
      dsUid: (origin && origin.dsUid) || (known && ownerDsUid(known)) || (same && openLog.dsUid) || null,
      node: (origin && origin.node) || (known && known.spec && known.spec.nodeName) || (same && openLog.node) || null,
      goneSince: null, ended: false, notFound: false,
      // Reads that failed in a row (not a pod gone), since when: a follow stops (LOG_GIVE_UP_MS).
      failures: same && quiet ? openLog.failures : 0,
      failingSince: same && quiet ? openLog.failingSince : null
    };
    var current = openLog;
    var wasHidden = $('log-box').hidden;
    $('log-box').hidden = false;
    // A log opened by hand is brought into view (it sits below the pods and events).
    if (!quiet && (wasHidden || !same) && $('log-box').scrollIntoView) $('log-box').scrollIntoView({ block: 'nearest' });
    $('log-title').textContent = ns + '/' + pod + ' (' + container + '), last ' + LOG_TAIL_LINES + ' lines';
    var atEnd = view.scrollTop + view.clientHeight >= view.scrollHeight - 4;
    if (!quiet) view.textContent = 'loading…';
    var text;
    var failed = false;
    try {
      text = await request('GET', '/api/v1/namespaces/' + enc(ns) + '/pods/' + enc(pod) + '/log?container=' + enc(container) + '&tailLines=' + LOG_TAIL_LINES + '&limitBytes=' + LOG_LIMIT_BYTES, { accept: 'text/plain, */*' });
      var cut = text.length >= LOG_LIMIT_BYTES / 4 && new TextEncoder().encode(text).length >= LOG_LIMIT_BYTES;
      text = text === '' ? '(the log is empty)' : stripAnsi(text) + (cut ? '\n… (cut at ' + (LOG_LIMIT_BYTES / 1024) + ' KiB: everynode logs ' + pod + ' -c ' + container + ' -n ' + ns + ' reads it all)' : '');
    } catch (e) {
      if (seq !== logSeq) return;
      // The pod is gone: the next refresh looks for its replacement (see followLog).
      if (e.status === 404 && e.message.indexOf('pods "' + pod + '" not found') >= 0) current.notFound = true;
      if (quiet && current.notFound) return;
      text = 'error: ' + e.message;
      failed = true;
      if (!current.notFound) {
        current.failures++;
        if (current.failingSince === null) current.failingSince = Date.now();
        if (current.failures >= 3 && Date.now() - current.failingSince >= LOG_GIVE_UP_MS && $('log-follow').checked) {
          // Asking at every refresh fails the same way (a node whose agent cannot be reached, a
          // hollow node): stop, and say how to try again.
          current.ended = true;
          $('log-follow').checked = false;
          setLogNote('the log could not be read for ' + Math.round((Date.now() - current.failingSince) / 1000) + ' s (' + current.failures + ' tries): follow stopped (press logs to try again)', true);
        }
      }
    }
    if (!failed) {
      current.failures = 0;
      current.failingSince = null;
    }
    if (seq !== logSeq) return;
    if (quiet && view.textContent === text) return;
    view.textContent = text;
    if (!quiet || atEnd) view.scrollTop = view.scrollHeight;
  }

  /**
   * Runs one write; its outcome, a failure included, shows in the detail panel's action status.
   * Not in the banner: that is for the data (a write's 404 said nothing about whether the tables
   * are current, and stayed there while they went on updating).
   */
  async function write(describe, method, path, opts) {
    state.busy = true;
    state.action = { text: describe + '…', error: false };
    render();
    try {
      await request(method, path, opts);
      state.action = { text: describe + ': done', error: false };
      // The change comes with the watch; without one (auto-refresh off) a relist shows it.
      if (INTERVAL > 0) pollSoon();
      else requestRefresh();
    } catch (e) {
      state.action = { text: describe + ' failed: ' + e.message, error: true };
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
      else if (a === 'logs') { $('log-follow').checked = true; showLog(btn.getAttribute('data-ns'), btn.getAttribute('data-pod'), btn.getAttribute('data-container')); }
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
    } else if (t && t.matches('td[data-testid="matrix-cell"]') && !ev.altKey && !ev.ctrlKey && !ev.metaKey && matrixKey(t, ev.key)) {
      ev.preventDefault();
    }
  });
  // A cell focused by a click (or any other way) takes the grid's one tab stop.
  document.addEventListener('focusin', function (ev) {
    var t = ev.target instanceof Element ? ev.target : null;
    if (t && t.matches('td[data-testid="matrix-cell"]')) moveMatrixStop(t);
  });
  function moveMatrixStop(td) {
    var grid = td.closest('table');
    if (grid) grid.querySelectorAll('td[data-testid="matrix-cell"][tabindex="0"]').forEach(function (c) { if (c !== td) c.setAttribute('tabindex', '-1'); });
    td.setAttribute('tabindex', '0');
    state.matrixFocus = td.getAttribute('data-node') + '|' + td.getAttribute('data-ds');
  }
  /**
   * The matrix as a keyboard grid: the arrow keys move between cells (Home and End to the row's
   * ends), taking the grid's one tab stop along; Enter or Space selects the cell's DaemonSet.
   * Returns whether the key was one of these.
   */
  function matrixKey(td, k) {
    if (k === 'Enter' || k === ' ') { select(td.getAttribute('data-select')); return true; }
    var tr = td.parentElement, cells = tr.querySelectorAll('td[data-testid="matrix-cell"]');
    var col = Array.prototype.indexOf.call(cells, td), next = null, rowTo = null;
    if (k === 'ArrowRight') next = cells[col + 1];
    else if (k === 'ArrowLeft') next = cells[col - 1];
    else if (k === 'Home') next = cells[0];
    else if (k === 'End') next = cells[cells.length - 1];
    else if (k === 'ArrowDown') rowTo = tr.nextElementSibling;
    else if (k === 'ArrowUp') rowTo = tr.previousElementSibling;
    else return false;
    if (rowTo) next = rowTo.querySelectorAll('td[data-testid="matrix-cell"]')[col];
    if (next) {
      moveMatrixStop(next);
      next.focus();
    }
    return true;
  }
  $('log-follow').addEventListener('change', function () {
    if ($('log-follow').checked && openLog && openLog.ended) { openLog.ended = false; openLog.goneSince = null; setLogNote('', false); followLog(); }
  });
  $('events-warnings-only').addEventListener('change', function () { renderEvents(Date.now()); });
  function renderFiltered() {
    renderDaemonSets(Date.now());
    renderMatrix();
  }
  $('ds-filter').addEventListener('input', renderFiltered);
  $('ds-problems-first').addEventListener('change', renderFiltered);
  $('ds-filter').value = new URLSearchParams(location.search).get('filter') || '';
  window.addEventListener('hashchange', function () { select(selectionFromHash()); });

  $('refresh-mode').textContent = INTERVAL > 0 ? 'live, redrawn every ' + (INTERVAL >= 1000 ? INTERVAL / 1000 + ' s' : INTERVAL + ' ms') : 'auto-refresh off';
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
<main id="main">
  <section>
    <h2>DaemonSets <span class="sub">click a row for its pods, logs, history and events</span></h2>
    <div class="filters">
      <input type="search" id="ds-filter" data-testid="ds-filter" placeholder="filter: name, namespace, image or label" aria-label="Filter DaemonSets by name, namespace, image or label" autocomplete="off" spellcheck="false">
      <label class="sub"><input type="checkbox" id="ds-problems-first" data-testid="ds-problems-first"> problems first</label>
      <span class="sub" id="ds-filter-note" data-testid="ds-filter-note" role="status"></span>
    </div>
    <div class="scroll" id="ds-wrap" tabindex="0" role="region" aria-label="DaemonSets">
      <table class="grid" data-testid="ds-table">
        <thead><tr><th>Name</th><th>Status</th><th class="num">Desired</th><th class="num">Current</th><th class="num">Ready</th><th class="num">Up-to-date</th><th class="num">Available</th><th>Rollout</th><th>Placement</th><th>Images</th><th>Strategy</th><th class="num">Age</th></tr></thead>
        <tbody id="ds-body"><tr><td class="empty" colspan="12">loading…</td></tr></tbody>
      </table>
    </div>
  </section>
  <section id="detail" data-testid="ds-detail" hidden>
    <div id="detail-body"></div>
    <div id="log-box" hidden>
      <div class="loghead"><h3 id="log-title"></h3><label><input type="checkbox" id="log-follow" data-testid="log-follow" checked> follow</label><button type="button" data-action="close-log">close log</button><span id="log-note" data-testid="log-note" class="action" role="status" hidden></span></div>
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
      <span><i class="st-ready stale"></i>stale (node unreachable) <b id="legend-stale">0</b></span>
      <span class="muted" id="legend-scope">(counts over all nodes)</span>
    </div>
    <p class="note" data-testid="matrix-note" id="matrix-note" hidden></p>
    <div class="scroll" id="matrix-wrap"><table class="matrix" data-testid="matrix" id="matrix" role="grid" aria-label="Pods of each DaemonSet (columns) on each node (rows); arrow keys move, Enter selects the DaemonSet"><tbody><tr><td class="empty">loading…</td></tr></tbody></table></div>
  </section>
  <section>
    <h2>Nodes <span class="sub" id="node-count"></span></h2>
    <div class="scroll" style="max-height:520px" tabindex="0" role="region" aria-label="Nodes">
      <table class="grid" data-testid="node-table">
        <thead><tr><th>Name</th><th>Status</th><th>Internal IP</th><th>Kubelet</th><th class="num">Pods</th><th>Taints</th><th>Labels</th><th class="num">Age</th></tr></thead>
        <tbody id="node-body"><tr><td class="empty" colspan="8">loading…</td></tr></tbody>
      </table>
    </div>
  </section>
  <section>
    <h2>Events <span class="sub">newest first, at most 50</span> <label class="sub"><input type="checkbox" id="events-warnings-only" data-testid="events-warnings-only"> warnings only</label></h2>
    <div class="scroll" id="events-wrap" tabindex="0" role="region" aria-label="Events">
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
