// `everynode describe`: a readable, kubectl-like view of one object (or all matching ones)
// with its events. DaemonSet, Node and Pod get dedicated layouts; any other kind (CRDs
// included) prints metadata plus its spec/status as indented YAML.
//
// As kubectl: labels and annotations are sorted by key; times are RFC 1123 with a numeric
// zone; a container shows its State and, once it has terminated before, its Last State
// (Reason, Exit Code, Started, Finished); `describe TYPE NAME` where no object is called NAME
// describes every object whose name starts with NAME (the NotFound error when none does).

import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { Container, ContainerState, DaemonSet, Event, KubeObject, Node, Pod, PodTemplateSpec } from '../../api/types.js';
import { eventsResource, isNotFound, podsResource } from '../../client/index.js';
import { CliError, formatError } from '../context.js';
import type { ResourceInfo } from '../discovery.js';
import { formatRows, sortedEntries } from '../printers.js';
import { ageOf, type CliContext, controllerUid, parseTargets, selectorString } from './common.js';

/** Key/value lines aligned per indentation level (kubectl's describe layout). */
class DescribeWriter {
  private readonly lines: ({ level: number; key: string; value: string } | { level: number; text: string })[] = [];

  kv(level: number, key: string, value: string | number | undefined): void {
    this.lines.push({ level, key: `${key}:`, value: value === undefined || value === '' ? '<none>' : String(value) });
  }

  text(level: number, text: string): void {
    this.lines.push({ level, text });
  }

  /** A map printed as `key=value` lines under one key. */
  map(level: number, key: string, m: Record<string, string> | undefined, skip: (k: string) => boolean = () => false): void {
    const e = sortedEntries(m).filter(([k]) => !skip(k));
    if (e.length === 0) return this.kv(level, key, '<none>');
    e.forEach(([k, v], i) => (i === 0 ? this.kv(level, key, `${k}=${v}`) : this.kv(level, '', `${k}=${v}`)));
  }

  render(): string {
    const width = new Map<number, number>();
    for (const l of this.lines) if ('key' in l) width.set(l.level, Math.max(width.get(l.level) ?? 0, l.key.length));
    return this.lines
      .map((l) => {
        const pad = '  '.repeat(l.level);
        if ('text' in l) return pad + l.text;
        const key = l.key === ':' ? '' : l.key;
        return `${pad}${key.padEnd((width.get(l.level) ?? 0) + 2)}${l.value}`.trimEnd();
      })
      .join('\n') + '\n';
  }
}

const lastApplied = (k: string) => k === 'kubectl.kubernetes.io/last-applied-configuration';

const two = (n: number) => String(n).padStart(2, '0');
const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.RFC1123Z in local time (`Mon, 02 Jan 2006 15:04:05 -0700`), as kubectl describe prints times. */
export function rfc1123z(ts: string | null | undefined): string {
  const d = new Date(ts ?? '');
  if (!ts || Number.isNaN(d.getTime())) return '<unknown>';
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${two(Math.floor(Math.abs(off) / 60))}${two(Math.abs(off) % 60)}`;
  return `${weekdays[d.getDay()]!}, ${two(d.getDate())} ${months[d.getMonth()]!} ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`;
}

/** kubectl's describeStatus: `State:`/`Last State:` and the details of that state one level in. */
function containerState(w: DescribeWriter, level: number, title: string, s: ContainerState | undefined): void {
  if (s?.running) {
    w.kv(level, title, 'Running');
    w.kv(level + 1, 'Started', rfc1123z(s.running.startedAt));
  } else if (s?.terminated) {
    const t = s.terminated;
    w.kv(level, title, 'Terminated');
    if (t.reason) w.kv(level + 1, 'Reason', t.reason);
    if (t.message) w.kv(level + 1, 'Message', t.message);
    w.kv(level + 1, 'Exit Code', t.exitCode);
    if (t.signal) w.kv(level + 1, 'Signal', t.signal);
    w.kv(level + 1, 'Started', rfc1123z(t.startedAt));
    w.kv(level + 1, 'Finished', rfc1123z(t.finishedAt));
  } else {
    w.kv(level, title, 'Waiting');
    if (s?.waiting?.reason) w.kv(level + 1, 'Reason', s.waiting.reason);
  }
}

function header(w: DescribeWriter, o: KubeObject, r: ResourceInfo): void {
  w.kv(0, 'Name', o.metadata.name);
  if (r.namespaced) w.kv(0, 'Namespace', o.metadata.namespace);
  w.map(0, 'Labels', o.metadata.labels);
  w.map(0, 'Annotations', o.metadata.annotations, lastApplied);
  if (o.metadata.creationTimestamp) w.kv(0, 'CreationTimestamp', rfc1123z(o.metadata.creationTimestamp));
  if (o.metadata.deletionTimestamp) w.kv(0, 'DeletionTimestamp', rfc1123z(o.metadata.deletionTimestamp));
  const owner = (o.metadata.ownerReferences ?? []).find((x) => x.controller);
  if (owner) w.kv(0, 'Controlled By', `${owner.kind}/${owner.name}`);
}

function containers(w: DescribeWriter, level: number, title: string, list: Container[] | undefined, pod?: Pod): void {
  if (!list || list.length === 0) return;
  w.text(level, `${title}:`);
  for (const c of list) {
    w.text(level + 1, `${c.name}:`);
    w.kv(level + 2, 'Image', c.image);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
    w.kv(level + 2, 'Port', ports || '<none>');
    if (c.command?.length) w.kv(level + 2, 'Command', c.command.join(' '));
    if (c.args?.length) w.kv(level + 2, 'Args', c.args.join(' '));
    const st = pod?.status?.containerStatuses?.find((s) => s.name === c.name);
    if (st) {
      containerState(w, level + 2, 'State', st.state);
      if (st.lastState?.terminated) containerState(w, level + 2, 'Last State', st.lastState);
      w.kv(level + 2, 'Ready', st.ready ? 'True' : 'False');
      w.kv(level + 2, 'Restart Count', st.restartCount);
    }
    const env = (c.env ?? []).map((e) => `${e.name}=${e.value ?? (e.valueFrom ? '<set from reference>' : '')}`);
    if (env.length === 0) w.kv(level + 2, 'Environment', '<none>');
    else env.forEach((e, i) => w.kv(level + 2, i === 0 ? 'Environment' : '', e));
    const mounts = ((c as { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }).volumeMounts ?? []).map((m) => `${m.mountPath} from ${m.name}${m.readOnly ? ' (ro)' : ' (rw)'}`);
    if (mounts.length === 0) w.kv(level + 2, 'Mounts', '<none>');
    else mounts.forEach((m, i) => w.kv(level + 2, i === 0 ? 'Mounts' : '', m));
  }
}

function podTemplate(w: DescribeWriter, t: PodTemplateSpec | undefined): void {
  w.text(0, 'Pod Template:');
  w.map(1, 'Labels', t?.metadata?.labels);
  if (t?.metadata?.annotations) w.map(1, 'Annotations', t.metadata.annotations);
  if (t?.spec?.nodeSelector) w.map(1, 'Node-Selector', t.spec.nodeSelector);
  if (t?.spec?.hostNetwork) w.kv(1, 'Host Network', 'true');
  containers(w, 1, 'Init Containers', t?.spec?.initContainers);
  containers(w, 1, 'Containers', t?.spec?.containers);
  const vols = t?.spec?.volumes ?? [];
  if (vols.length === 0) w.kv(1, 'Volumes', '<none>');
  else {
    w.text(1, 'Volumes:');
    for (const v of vols) {
      const { name, ...source } = v as { name: string } & Record<string, unknown>;
      w.kv(2, name, Object.keys(source).join(', ') || '<none>');
    }
  }
  const tol = t?.spec?.tolerations ?? [];
  if (tol.length) tol.forEach((x, i) => w.kv(1, i === 0 ? 'Tolerations' : '', `${x.key ?? ''}${x.operator === 'Exists' ? '' : `=${x.value ?? ''}`}${x.effect ? `:${x.effect}` : ''}`));
}

async function describeDaemonSet(ctx: CliContext, cmd: Command, w: DescribeWriter, ds: DaemonSet): Promise<void> {
  const sel = selectorString(ds.spec.selector);
  w.kv(0, 'Selector', sel);
  const nodeSel = sortedEntries(ds.spec.template?.spec?.nodeSelector).map(([k, v]) => `${k}=${v}`).join(',');
  w.kv(0, 'Node-Selector', nodeSel || '<none>');
  const st = ds.status ?? ({} as NonNullable<DaemonSet['status']>);
  w.kv(0, 'Desired Number of Nodes Scheduled', st.desiredNumberScheduled ?? 0);
  w.kv(0, 'Current Number of Nodes Scheduled', st.currentNumberScheduled ?? 0);
  w.kv(0, 'Number of Nodes Scheduled with Up-to-date Pods', st.updatedNumberScheduled ?? 0);
  w.kv(0, 'Number of Nodes Scheduled with Available Pods', st.numberAvailable ?? 0);
  w.kv(0, 'Number of Nodes Misscheduled', st.numberMisscheduled ?? 0);
  const strategy = ds.spec.updateStrategy;
  w.kv(0, 'Update Strategy', strategy?.type ?? 'RollingUpdate');
  if (strategy?.rollingUpdate) {
    w.kv(1, 'Max Unavailable', String(strategy.rollingUpdate.maxUnavailable ?? 1));
    w.kv(1, 'Max Surge', String(strategy.rollingUpdate.maxSurge ?? 0));
  }
  const counts = { Running: 0, Waiting: 0, Succeeded: 0, Failed: 0 };
  try {
    const pods = await ctx.conn(cmd).client.list<Pod>(podsResource, { namespace: ds.metadata.namespace ?? '', labelSelector: sel });
    for (const p of pods.items) {
      if (controllerUid(p) !== ds.metadata.uid) continue;
      const phase = p.status?.phase;
      if (phase === 'Running') counts.Running++;
      else if (phase === 'Succeeded') counts.Succeeded++;
      else if (phase === 'Failed') counts.Failed++;
      else counts.Waiting++;
    }
  } catch {
    // Pod counts are best effort.
  }
  w.kv(0, 'Pods Status', `${counts.Running} Running / ${counts.Waiting} Waiting / ${counts.Succeeded} Succeeded / ${counts.Failed} Failed`);
  podTemplate(w, ds.spec.template);
}

async function describeNode(ctx: CliContext, cmd: Command, w: DescribeWriter, n: Node): Promise<void> {
  const roles = Object.keys(n.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  w.kv(0, 'Roles', roles.join(',') || '<none>');
  const taints = (n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
  if (taints.length === 0) w.kv(0, 'Taints', '<none>');
  else taints.forEach((t, i) => w.kv(0, i === 0 ? 'Taints' : '', t));
  w.kv(0, 'Unschedulable', String(n.spec?.unschedulable === true));
  const conds = n.status?.conditions ?? [];
  if (conds.length === 0) w.kv(0, 'Conditions', '<none>');
  else {
    w.text(0, 'Conditions:');
    const rows = [['Type', 'Status', 'LastHeartbeatTime', 'Reason', 'Message'], ['----', '------', '-----------------', '------', '-------']];
    for (const c of conds) rows.push([c.type, c.status, c.lastHeartbeatTime ?? '', c.reason ?? '', c.message ?? '']);
    for (const l of formatRows(rows).trimEnd().split('\n')) w.text(1, l);
  }
  const addrs = n.status?.addresses ?? [];
  if (addrs.length) {
    w.text(0, 'Addresses:');
    for (const a of addrs) w.kv(1, a.type, a.address);
  }
  const info = n.status?.nodeInfo as Record<string, string> | undefined;
  if (info) {
    w.text(0, 'System Info:');
    for (const [k, v] of Object.entries(info)) w.kv(1, k.replace(/^./, (c) => c.toUpperCase()).replace(/([a-z])([A-Z])/g, '$1 $2'), v);
  }
  try {
    const pods = await ctx.conn(cmd).client.list<Pod>(podsResource, { fieldSelector: `spec.nodeName=${n.metadata.name ?? ''},status.phase!=Succeeded,status.phase!=Failed` });
    w.text(0, `Non-terminated Pods: (${pods.items.length} in total)`);
    if (pods.items.length) {
      const rows = [['Namespace', 'Name', 'Age'], ['---------', '----', '---']];
      for (const p of pods.items) rows.push([p.metadata.namespace ?? '', p.metadata.name ?? '', ageOf(p.metadata.creationTimestamp)]);
      for (const l of formatRows(rows).trimEnd().split('\n')) w.text(1, l);
    }
  } catch {
    // Pod listing is best effort.
  }
}

function describePod(w: DescribeWriter, p: Pod): void {
  w.kv(0, 'Node', p.spec?.nodeName);
  w.kv(0, 'Status', p.metadata.deletionTimestamp ? 'Terminating' : p.status?.phase ?? 'Pending');
  w.kv(0, 'IP', p.status?.podIP);
  containers(w, 0, 'Init Containers', p.spec?.initContainers, p);
  containers(w, 0, 'Containers', p.spec?.containers, p);
  const conds = p.status?.conditions ?? [];
  if (conds.length) {
    w.text(0, 'Conditions:');
    const rows = [['Type', 'Status'], ['----', '------'], ...conds.map((c) => [c.type, c.status])];
    for (const l of formatRows(rows).trimEnd().split('\n')) w.text(1, l);
  }
}

function describeGeneric(w: DescribeWriter, o: KubeObject): void {
  const rest = o as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(rest)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    const title = k.charAt(0).toUpperCase() + k.slice(1);
    if (v === null || typeof v !== 'object') {
      w.kv(0, title, String(v));
      continue;
    }
    w.text(0, `${title}:`);
    for (const line of stringify(v, { lineWidth: 0 }).trimEnd().split('\n')) w.text(1, line);
  }
}

async function events(ctx: CliContext, cmd: Command, o: KubeObject, r: ResourceInfo): Promise<string> {
  const conn = ctx.conn(cmd);
  const fs = [`involvedObject.name=${o.metadata.name ?? ''}`, `involvedObject.kind=${r.kind}`];
  if (r.namespaced) fs.push(`involvedObject.namespace=${o.metadata.namespace ?? ''}`);
  if (o.metadata.uid && r.kind !== 'Node') fs.push(`involvedObject.uid=${o.metadata.uid}`);
  let list: Event[];
  try {
    const opts: { namespace?: string; fieldSelector: string } = { fieldSelector: fs.join(',') };
    if (r.namespaced) opts.namespace = o.metadata.namespace ?? '';
    list = (await conn.client.list<Event>(eventsResource, opts)).items;
  } catch (e) {
    return `Events:  <unavailable: ${formatError(e)}>\n`;
  }
  if (list.length === 0) return 'Events:  <none>\n';
  const when = (e: Event): string | undefined => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? undefined;
  list.sort((a, b) => Date.parse(when(a) ?? '') - Date.parse(when(b) ?? ''));
  const rows = [['Type', 'Reason', 'Age', 'From', 'Message'], ['----', '------', '----', '----', '-------']];
  for (const e of list) {
    const count = (e.count ?? 1) > 1 ? ` (x${e.count} over ${ageOf(e.firstTimestamp ?? undefined)})` : '';
    rows.push([e.type ?? '', e.reason ?? '', ageOf(when(e)) + count, e.source?.component ?? e.reportingComponent ?? '', (e.message ?? '').trim()]);
  }
  return 'Events:\n' + formatRows(rows).split('\n').filter((l) => l !== '').map((l) => `  ${l}\n`).join('');
}

export async function describeObject(ctx: CliContext, cmd: Command, r: ResourceInfo, o: KubeObject): Promise<string> {
  const w = new DescribeWriter();
  header(w, o, r);
  if (r.group === 'apps' && r.kind === 'DaemonSet') await describeDaemonSet(ctx, cmd, w, o as DaemonSet);
  else if (r.group === '' && r.kind === 'Node') await describeNode(ctx, cmd, w, o as Node);
  else if (r.group === '' && r.kind === 'Pod') describePod(w, o as Pod);
  else describeGeneric(w, o);
  return w.render() + (await events(ctx, cmd, o, r));
}

export function registerDescribe(program: Command, ctx: CliContext): void {
  program
    .command('describe')
    .description('Show details of a resource and its events (TYPE NAME, TYPE/NAME, or TYPE to describe all)')
    .argument('<resources...>', 'TYPE [NAME...] or TYPE/NAME ...')
    .option('-l, --selector <selector>', 'label selector (with TYPE only)')
    .option('-A, --all-namespaces', 'across all namespaces (with TYPE only)')
    .action(async (args: string[], opts: { selector?: string; allNamespaces?: boolean }, cmd: Command) => {
      const conn = ctx.conn(cmd);
      const targets = parseTargets(args);
      const blocks: string[] = [];
      for (const t of targets) {
        const r = await ctx.discovery(cmd).resolve(t.type);
        const ns = r.namespaced ? conn.namespace : '';
        let objects: KubeObject[] = [];
        if (t.names.length > 0) {
          for (const name of t.names) {
            try {
              objects.push(await conn.client.get(r, ns, name));
            } catch (e) {
              // kubectl: `describe TYPE NAME` (exactly that) falls back to the names NAME starts.
              if (isNotFound(e) && args.length === 2 && targets.length === 1 && !args[0]!.includes('/')) {
                const lo: { namespace: string; labelSelector?: string } = { namespace: ns };
                if (opts.selector) lo.labelSelector = opts.selector;
                const matching = (await conn.client.list(r, lo)).items.filter((o) => (o.metadata.name ?? '').startsWith(name));
                if (matching.length > 0) {
                  for (const o of matching) ctx.out((await describeObject(ctx, cmd, r, o)) + '\n');
                  return;
                }
              }
              ctx.report(e);
            }
          }
        } else {
          const lo: { namespace?: string; labelSelector?: string } = {};
          if (!opts.allNamespaces) lo.namespace = ns;
          if (opts.selector) lo.labelSelector = opts.selector;
          objects = (await conn.client.list(r, lo)).items;
          if (objects.length === 0) ctx.err(r.namespaced && !opts.allNamespaces ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
        }
        for (const o of objects) blocks.push(await describeObject(ctx, cmd, r, o));
      }
      if (targets.length === 0) throw new CliError('you must specify the type of resource to describe, e.g. "everynode describe ds x"');
      ctx.out(blocks.join('\n\n'));
    });
}
