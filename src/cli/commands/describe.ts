// `everynode describe`: a readable, kubectl-like view of one object (or all matching ones)
// with its events. Pod and DaemonSet are laid out line for line as kubectl 1.32's describers
// (describePod, describeDaemonSet, DescribePodTemplate: the same fields, order and wording,
// and the same alignment: the text goes through a copy of Go's text/tabwriter with kubectl's
// settings, see tabwriterFormat); Node gets a layout of its own; any other kind (CRDs
// included) prints metadata plus its spec/status as indented YAML.
//
// As kubectl: labels and annotations are sorted by key (annotations as `key: value`, long ones
// cut); times are RFC 1123 with a numeric zone; a container shows its State and, once it has
// terminated before, its Last State (Reason, Exit Code, Started, Finished) — init containers
// too, from status.initContainerStatuses; tolerations read `key=value:Effect`, `op=Exists`
// for the match-all one and ` for Ns` with tolerationSeconds; `describe TYPE NAME` where no
// object is called NAME describes every object whose name starts with NAME (the NotFound error
// when none does).

import type { Command } from 'commander';
import { podQOSClass } from '../../agent/status.js';
import { isDefaultStorageClass } from '../../api/storage-class.js';
import { podResourceTotals } from '../../api/pod-resources.js';
import type { Container, ContainerState, ContainerStatus, DaemonSet, EnvVar, Event, KubeObject, LabelSelector, Lease, Node, Pod, PodTemplateSpec, Probe, ResourceRequirements, Toleration } from '../../api/types.js';
import { addQuantity, compareQuantity, formatQuantity, milliValue, parseQuantity, scaledValue, type Quantity } from '../../api/validation/quantity.js';
import { endpointSlicesResource, eventsResource, isNotFound, leasesResource, limitRangesResource, podsResource, resourceQuotasResource, secretsResource, servicesResource, type ResourceDescriptor } from '../client.js';
import type { ResourceQuota } from '../../api/quota.js';
import { CliError } from '../context.js';
import type { ResourceInfo } from '../discovery.js';
import { TabWriter } from '../tabwriter.js';
import { listFlag, type CliContext, controllerUid, explainNotFound, getLatest, parseTargets, target } from './common.js';
import { humanDuration, humanSince } from '../durations.js';
import { goNumber } from '../jsonpath.js';
import { nodeRoles } from '../../api/node-roles.js';
import { readManifests } from '../manifests.js';

// ---------------------------------------------------------------------------------------------
// Go's text/tabwriter and kubectl's PrefixWriter

/** What Go's text/tabwriter writes for `text` with kubectl describe's settings (minwidth 0, padding 2, no flags). */
export function tabwriterFormat(text: string, padding = 2): string {
  return new TabWriter(0, padding, false).flush(text);
}

/** kubectl's printers.WriteEscaped: no terminal escape sequence reaches the terminal. */
const escapeTerminal = (s: string): string => s.replace(/\u001b/g, '^[').replace(/\r/g, '\\r');

/** kubectl's describe PrefixWriter: text at an indentation level (2 spaces each), tabs separating cells. */
export class PrefixWriter {
  private buf = '';

  write(level: number, text: string): void {
    this.buf += escapeTerminal('  '.repeat(level) + text);
  }

  /** WriteLine: the text and a newline, without indentation. */
  line(text: string): void {
    this.buf += escapeTerminal(text + '\n');
  }

  /** The text as written (kubectl prints rollout templates this way, tabs included). */
  raw(): string {
    return this.buf;
  }

  /** The text aligned as kubectl's tabbedString does. */
  tabbed(): string {
    return tabwriterFormat(this.buf);
  }
}

// ---------------------------------------------------------------------------------------------
// Values as kubectl formats them

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

const byteLength = (s: string): number => Buffer.byteLength(s);
const sortStrings = (a: string[]): string[] => [...a].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
const printBool = (b: boolean | undefined): string => (b ? 'True' : 'False');
const orNone = (s: string | undefined): string => (s ? s : '<none>');
/** Go's %q of a string (the common cases). */
const goQuote = (s: string): string => JSON.stringify(s);

/** A quantity in its canonical form (resource.Quantity.String()). */
function quantityText(v: string | number | undefined): string {
  const q = parseQuantity(v);
  return q ? formatQuantity(q) : String(v ?? '0');
}

function quantityNumber(v: string | number | undefined): number {
  const q = parseQuantity(v);
  return q ? Number(q.mantissa) * 10 ** q.exp10 : 0;
}

/** labels.FormatLabels: `a=b,c=d` sorted, `<none>` when empty. */
function formatLabels(m: Record<string, string> | undefined): string {
  const keys = sortStrings(Object.keys(m ?? {}));
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${m![k]!}`).join(',');
}

/** metav1.LabelSelectorAsSelector(s).String(): requirements sorted by key, values sorted. */
export function selectorText(s: LabelSelector | undefined | null): string {
  const reqs: { key: string; text: string }[] = [];
  for (const k of sortStrings(Object.keys(s?.matchLabels ?? {}))) reqs.push({ key: k, text: `${k}=${s!.matchLabels![k]!}` });
  for (const e of s?.matchExpressions ?? []) {
    const values = e.values ?? [];
    const list = values.length === 1 ? values[0]! : sortStrings(values).join(',');
    const text =
      e.operator === 'In' ? `${e.key} in (${list})` : e.operator === 'NotIn' ? `${e.key} notin (${list})` : e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : e.key;
    reqs.push({ key: e.key, text });
  }
  // sort.Sort(ByKey): an insertion sort for the few requirements of a selector, so stable.
  return reqs
    .map((r, i) => ({ ...r, i }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
    .map((r) => r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: the selector's text, `<none>` when it selects everything. */
function formatLabelSelector(s: LabelSelector | undefined): string {
  const t = selectorText(s);
  return t === '' ? '<none>' : t;
}

// ---------------------------------------------------------------------------------------------
// Shared parts (printLabelsMultiline, printAnnotationsMultiline, tolerations, events)

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
const maxAnnotationLen = 140;

function printLabelsMultiline(w: PrefixWriter, title: string, labels: Record<string, string> | undefined, initialIndent = '', innerIndent = '\t'): void {
  w.write(0, `${initialIndent}${title}:${innerIndent}`);
  const keys = sortStrings(Object.keys(labels ?? {}));
  if (keys.length === 0) return w.line('<none>');
  keys.forEach((k, i) => {
    if (i !== 0) {
      w.write(0, initialIndent);
      w.write(0, innerIndent);
    }
    w.write(0, `${k}=${labels![k]!}\n`);
  });
}

function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = sortStrings(Object.keys(annotations ?? {}).filter((k) => k !== lastApplied));
  if (keys.length === 0) return w.line('<none>');
  const indent = '\t';
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, indent);
    const value = annotations![key]!.replace(/\n$/, '');
    if (byteLength(value) + byteLength(key) + 2 > maxAnnotationLen || value.includes('\n')) {
      w.write(0, `${key}:\n`);
      for (const s of value.split('\n')) w.write(0, `${indent}  ${s.length > maxAnnotationLen - 2 ? `${s.slice(0, maxAnnotationLen - 2)}...` : s}\n`);
    } else {
      w.write(0, `${key}: ${value}\n`);
    }
  });
}

/** One toleration as kubectl prints it: `key=value:Effect`, ` op=Exists` (or `op=Exists` alone), ` for Ns`. */
export function tolerationText(t: Toleration): string {
  let s = t.key ?? '';
  if (t.value) s += `=${t.value}`;
  if (t.effect) s += `:${t.effect}`;
  if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
  if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) s += ` for ${t.tolerationSeconds}s`;
  return s;
}

function printTolerationsMultiline(w: PrefixWriter, title: string, tolerations: Toleration[] | undefined): void {
  w.write(0, `${title}:\t`);
  const list = tolerations ?? [];
  if (list.length === 0) return w.line('<none>');
  // sort.Slice by key: an insertion sort (stable) for the handful a pod has.
  const sorted = list.map((t, i) => ({ t, i })).sort((a, b) => ((a.t.key ?? '') < (b.t.key ?? '') ? -1 : (a.t.key ?? '') > (b.t.key ?? '') ? 1 : a.i - b.i));
  sorted.forEach(({ t }, i) => {
    if (i !== 0) w.write(0, '\t');
    w.write(0, `${tolerationText(t)}\n`);
  });
}

function describeEvents(w: PrefixWriter, list: Event[]): void {
  if (list.length === 0) return w.write(0, 'Events:\t<none>\n');
  const sorted = list.map((e, i) => ({ e, i })).sort((a, b) => Date.parse(a.e.lastTimestamp ?? '') - Date.parse(b.e.lastTimestamp ?? '') || a.i - b.i);
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const { e } of sorted) {
    const first = e.eventTime ? humanSince(e.eventTime) : humanSince(e.firstTimestamp);
    const series = (e as { series?: { count?: number; lastObservedTime?: string } }).series;
    let interval: string;
    if (series) interval = `${humanSince(series.lastObservedTime)} (x${series.count ?? 0} over ${first})`;
    else if ((e.count ?? 0) > 1) interval = `${humanSince(e.lastTimestamp)} (x${e.count!} over ${first})`;
    else interval = first;
    const source = e.source?.component || e.reportingComponent || '';
    w.write(1, `${e.type ?? ''}\t${e.reason ?? ''}\t${interval}\t${source}\t${(e.message ?? '').trim()}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Containers (describeContainers and its parts)

function describeResources(w: PrefixWriter, r: ResourceRequirements | undefined, level: number): void {
  if (!r) return;
  const limits = r.limits ?? {};
  const requests = r.requests ?? {};
  if (Object.keys(limits).length > 0) w.write(level, 'Limits:\n');
  for (const name of sortStrings(Object.keys(limits))) w.write(level + 1, `${name}:\t${quantityText(limits[name])}\n`);
  if (Object.keys(requests).length > 0) w.write(level, 'Requests:\n');
  for (const name of sortStrings(Object.keys(requests))) w.write(level + 1, `${name}:\t${quantityText(requests[name])}\n`);
}

/** describe.DescribeProbe. */
export function probeText(p: Probe): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const port = String(p.httpGet.port ?? '');
    const hostName = p.httpGet.host ?? '';
    const host = port === '' ? hostName : `${hostName.includes(':') ? `[${hostName}]` : hostName}:${port}`;
    let path = p.httpGet.path ?? '';
    if (path !== '' && !path.startsWith('/') && host !== '') path = `/${path}`;
    return `http-get ${(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://${host}${path} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${String(p.tcpSocket.port)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

/**
 * The value kubectl shows for a downward-API field (EnvValueRetriever): its scheme converts only
 * the generic field labels metadata.name and metadata.namespace, so every other path shows ''.
 */
function fieldValue(pod: Pod, fieldPath: string): string {
  if (fieldPath === 'metadata.name') return pod.metadata.name ?? '';
  if (fieldPath === 'metadata.namespace') return pod.metadata.namespace ?? '';
  return '';
}

/** resourcehelper.ExtractContainerResourceValue: the container's limit/request in units of the divisor, rounded up. */
function containerResourceValue(ref: { resource: string; divisor?: string | number }, c: Container): string {
  const [kind, name] = ref.resource.split('.', 2) as [string, string | undefined];
  const list = kind === 'limits' ? c.resources?.limits : c.resources?.requests;
  const raw = name ? list?.[name] : undefined;
  const divisor = ref.divisor === undefined || ref.divisor === '' || ref.divisor === 0 || ref.divisor === '0' ? 1 : quantityNumber(ref.divisor);
  const value = quantityNumber(raw);
  if (name === 'cpu') return String(Math.ceil(Math.round(value * 1000) / Math.round(divisor * 1000 || 1000)));
  return String(Math.ceil(value / (divisor || 1)));
}

function describeEnv(w: PrefixWriter, c: Container, pod: Pod | undefined): void {
  const envFrom = c.envFrom ?? [];
  if (envFrom.length > 0) {
    w.write(2, 'Environment Variables from:\n');
    for (const e of envFrom) {
      const [from, name, optional] = e.configMapRef ? ['ConfigMap', e.configMapRef.name ?? '', e.configMapRef.optional === true] : e.secretRef ? ['Secret', e.secretRef.name ?? '', e.secretRef.optional === true] : ['', '', false];
      w.write(3, e.prefix ? `${name}\t${from} with prefix '${e.prefix}'\tOptional: ${String(optional)}\n` : `${name}\t${from}\tOptional: ${String(optional)}\n`);
    }
  }
  const env: EnvVar[] = c.env ?? [];
  w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    const vf = e.valueFrom;
    if (!vf) {
      (e.value ?? '').split('\n').forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
      continue;
    }
    if (vf.fieldRef) {
      const value = pod ? fieldValue(pod, vf.fieldRef.fieldPath) : '';
      w.write(3, `${e.name}:\t${value} (${vf.fieldRef.apiVersion ?? 'v1'}:${vf.fieldRef.fieldPath})\n`);
    } else if (vf.resourceFieldRef) {
      let value = containerResourceValue(vf.resourceFieldRef, c);
      const resource = vf.resourceFieldRef.resource;
      if (value === '0' && (resource === 'limits.cpu' || resource === 'limits.memory')) value = 'node allocatable';
      w.write(3, `${e.name}:\t${value} (${resource})\n`);
    } else if (vf.secretKeyRef) {
      w.write(3, `${e.name}:\t<set to the key '${vf.secretKeyRef.key}' in secret '${vf.secretKeyRef.name ?? ''}'>\tOptional: ${String(vf.secretKeyRef.optional === true)}\n`);
    } else if (vf.configMapKeyRef) {
      w.write(3, `${e.name}:\t<set to the key '${vf.configMapKeyRef.key}' of config map '${vf.configMapKeyRef.name ?? ''}'>\tOptional: ${String(vf.configMapKeyRef.optional === true)}\n`);
    }
  }
}

interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

function describeMounts(w: PrefixWriter, c: Container): void {
  const mounts = [...((c['volumeMounts'] as VolumeMount[] | undefined) ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
  const none = mounts.length === 0 ? '\t<none>' : '';
  w.write(2, `Mounts:${none}\n`);
  for (const m of mounts) {
    const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${goQuote(m.subPath)}`] : [])];
    w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
  }
  const devices = [...((c['volumeDevices'] as { name: string; devicePath: string }[] | undefined) ?? [])].sort((a, b) => (a.devicePath < b.devicePath ? -1 : a.devicePath > b.devicePath ? 1 : 0));
  if (devices.length > 0) {
    w.write(2, `Devices:${none}\n`);
    for (const d of devices) w.write(3, `${d.devicePath} from ${d.name}\n`);
  }
}

/** describeStatus: `State:`/`Last State:` and the details of that state. */
function describeStatus(w: PrefixWriter, title: string, s: ContainerState | undefined): void {
  if (s?.running) {
    w.write(2, `${title}:\tRunning\n`);
    w.write(3, `Started:\t${rfc1123z(s.running.startedAt)}\n`);
  } else if (s?.waiting) {
    w.write(2, `${title}:\tWaiting\n`);
    if (s.waiting.reason) w.write(3, `Reason:\t${s.waiting.reason}\n`);
  } else if (s?.terminated) {
    const t = s.terminated;
    w.write(2, `${title}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if (t.signal) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${rfc1123z(t.startedAt)}\n`);
    w.write(3, `Finished:\t${rfc1123z(t.finishedAt)}\n`);
  } else {
    w.write(2, `${title}:\tWaiting\n`);
  }
}

type SecurityContext = { seccompProfile?: { type?: string; localhostProfile?: string } };

/**
 * describeContainers: `title:` (`title: <none>` without containers), then each container with
 * its status when `statuses` has one. `space` is the template's extra indentation ("  ").
 */
function describeContainers(w: PrefixWriter, title: string, list: Container[] | undefined, statuses: ContainerStatus[] | undefined, pod: Pod | undefined, space: string): void {
  const cs = list ?? [];
  w.write(0, `${space}${title}:${cs.length === 0 ? ' <none>' : ''}\n`);
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  for (const c of cs) {
    const st = byName.get(c.name);
    w.write(1, `${space ? ' ' : ''}${c.name}:\n`);
    if (st) w.write(2, `Container ID:\t${st.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    if (st) w.write(2, `Image ID:\t${st.imageID ?? ''}\n`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
    w.write(2, ports.includes(',') ? `Ports:\t${ports}\n` : `Port:\t${orNone(ports)}\n`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', ');
    w.write(2, hostPorts.includes(',') ? `Host Ports:\t${hostPorts}\n` : `Host Port:\t${orNone(hostPorts)}\n`);
    const seccomp = (c['securityContext'] as SecurityContext | undefined)?.seccompProfile;
    if (seccomp) {
      w.write(2, `SeccompProfile:\t${seccomp.type ?? ''}\n`);
      if (seccomp.type === 'Localhost') w.write(3, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
    }
    if (c.command?.length) {
      w.write(2, 'Command:\n');
      for (const part of c.command) for (const s of part.split('\n')) w.write(3, `${s}\n`);
    }
    if (c.args?.length) {
      w.write(2, 'Args:\n');
      for (const part of c.args) for (const s of part.split('\n')) w.write(3, `${s}\n`);
    }
    if (st) {
      describeStatus(w, 'State', st.state);
      if (st.lastState?.terminated) describeStatus(w, 'Last State', st.lastState);
      w.write(2, `Ready:\t${printBool(st.ready)}\n`);
      w.write(2, `Restart Count:\t${st.restartCount ?? 0}\n`);
    }
    describeResources(w, c.resources, 2);
    if (c.livenessProbe) w.write(2, `Liveness:\t${probeText(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${probeText(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${probeText(c.startupProbe)}\n`);
    describeEnv(w, c, pod);
    describeMounts(w, c);
  }
}

// ---------------------------------------------------------------------------------------------
// Volumes, topology spread

type Json = Record<string, unknown>;

function describeVolumes(w: PrefixWriter, volumes: Json[] | undefined, space: string): void {
  const vols = volumes ?? [];
  if (vols.length === 0) return w.write(0, `${space}Volumes:\t<none>\n`);
  w.write(0, `${space}Volumes:\n`);
  const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
  const bool = (v: unknown): string => String(v === true);
  for (const v of vols) {
    w.write(1, `${space ? ' ' : ''}${str(v['name'])}:\n`);
    const hostPath = v['hostPath'] as Json | undefined;
    const emptyDir = v['emptyDir'] as Json | undefined;
    const secret = v['secret'] as Json | undefined;
    const configMap = v['configMap'] as Json | undefined;
    const pvc = v['persistentVolumeClaim'] as Json | undefined;
    const downward = v['downwardAPI'] as { items?: { path: string; fieldRef?: { fieldPath: string }; resourceFieldRef?: { resource: string } }[] } | undefined;
    const projected = v['projected'] as { sources?: Json[] } | undefined;
    const csi = v['csi'] as Json | undefined;
    const nfs = v['nfs'] as Json | undefined;
    const image = v['image'] as Json | undefined;
    if (hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${str(hostPath['path'])}\n    HostPathType:\t${hostPath['type'] === undefined || hostPath['type'] === null ? '<none>' : str(hostPath['type'])}\n`);
    } else if (emptyDir) {
      const limit = emptyDir['sizeLimit'] !== undefined && quantityNumber(emptyDir['sizeLimit'] as string) > 0 ? quantityText(emptyDir['sizeLimit'] as string) : '<unset>';
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${str(emptyDir['medium'])}\n    SizeLimit:\t${limit}\n`);
    } else if (secret) {
      w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${str(secret['secretName'])}\n    Optional:\t${bool(secret['optional'])}\n`);
    } else if (configMap) {
      w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${str(configMap['name'])}\n    Optional:\t${bool(configMap['optional'])}\n`);
    } else if (pvc) {
      w.write(2, `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${str(pvc['claimName'])}\n    ReadOnly:\t${bool(pvc['readOnly'])}\n`);
    } else if (nfs) {
      w.write(2, `Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t${str(nfs['server'])}\n    Path:\t${str(nfs['path'])}\n    ReadOnly:\t${bool(nfs['readOnly'])}\n`);
    } else if (downward) {
      w.write(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n');
      for (const item of downward.items ?? []) {
        if (item.fieldRef) w.write(3, `${item.fieldRef.fieldPath} -> ${item.path}\n`);
        if (item.resourceFieldRef) w.write(3, `${item.resourceFieldRef.resource} -> ${item.path}\n`);
      }
    } else if (projected) {
      w.write(2, 'Type:\tProjected (a volume that contains injected data from multiple sources)\n');
      const optional = (x: Json): string => (x['optional'] === undefined ? '<nil>' : String(x['optional']));
      for (const s of projected.sources ?? []) {
        const sec = s['secret'] as Json | undefined;
        const cm = s['configMap'] as Json | undefined;
        const token = s['serviceAccountToken'] as Json | undefined;
        if (sec) w.write(2, `SecretName:\t${str(sec['name'])}\n    SecretOptionalName:\t${optional(sec)}\n`);
        else if (s['downwardAPI']) w.write(2, 'DownwardAPI:\ttrue\n');
        else if (cm) w.write(2, `ConfigMapName:\t${str(cm['name'])}\n    ConfigMapOptional:\t${optional(cm)}\n`);
        else if (token) w.write(2, `TokenExpirationSeconds:\t${str(token['expirationSeconds'] ?? 3607)}\n`);
      }
    } else if (csi) {
      w.write(2, `Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t${str(csi['driver'])}\n    FSType:\t${str(csi['fsType'])}\n    ReadOnly:\t${bool(csi['readOnly'])}\n`);
      const attrs = (csi['volumeAttributes'] as Record<string, string> | undefined) ?? {};
      w.write(2, 'VolumeAttributes:\t');
      const keys = sortStrings(Object.keys(attrs));
      if (keys.length === 0) w.line('<none>');
      keys.forEach((k, i) => {
        if (i !== 0) w.write(2, '\t');
        const line = `${k}=${attrs[k]!}`;
        w.write(2, line.length > maxAnnotationLen ? `${line.slice(0, maxAnnotationLen)}...\n` : `${line}\n`);
      });
    } else if (image) {
      w.write(2, `Type:\tImage (a container image or OCI artifact)\n    Reference:\t${str(image['reference'])}\n    PullPolicy:\t${str(image['pullPolicy'])}\n`);
    } else {
      w.write(1, '<unknown>\n');
    }
  }
}

interface TopologySpreadConstraint {
  topologyKey: string;
  whenUnsatisfiable?: string;
  maxSkew?: number;
  labelSelector?: LabelSelector;
}

function describeTopologySpreadConstraints(w: PrefixWriter, list: TopologySpreadConstraint[] | undefined, space: string): void {
  if (!list || list.length === 0) return;
  const sorted = [...list].sort((a, b) => (a.topologyKey < b.topologyKey ? -1 : a.topologyKey > b.topologyKey ? 1 : 0));
  w.write(0, `${space}Topology Spread Constraints:\t`);
  sorted.forEach((t, i) => {
    if (i !== 0) {
      w.write(0, space);
      w.write(0, '\t');
    }
    w.write(0, `${t.topologyKey}:${t.whenUnsatisfiable ?? ''} when max skew ${t.maxSkew ?? 0} is exceeded${t.labelSelector ? ` for selector ${formatLabelSelector(t.labelSelector)}` : ''}\n`);
  });
}

// ---------------------------------------------------------------------------------------------
// Pod, pod template, DaemonSet

/** kubectl's DescribePodTemplate (also what `rollout history --revision` and `rollout undo --dry-run` print). */
export function describePodTemplate(w: PrefixWriter, t: PodTemplateSpec | undefined): void {
  w.write(0, 'Pod Template:\n');
  if (!t) return w.write(1, '<unset>');
  printLabelsMultiline(w, '  Labels', t.metadata?.labels);
  if (Object.keys(t.metadata?.annotations ?? {}).length > 0) printAnnotationsMultiline(w, '  Annotations', t.metadata?.annotations);
  const spec = t.spec ?? ({ containers: [] } as PodTemplateSpec['spec']);
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  if (spec.initContainers?.length) describeContainers(w, 'Init Containers', spec.initContainers, undefined, undefined, '  ');
  describeContainers(w, 'Containers', spec.containers, undefined, undefined, '  ');
  describeVolumes(w, spec.volumes, '  ');
  describeTopologySpreadConstraints(w, spec['topologySpreadConstraints'] as TopologySpreadConstraint[] | undefined, '  ');
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, '  Tolerations', spec.tolerations);
}

/** The pod template as `rollout history --revision` prints it (kubectl: PrefixWriter without tabwriter). */
export function podTemplateText(t: PodTemplateSpec | undefined): string {
  const w = new PrefixWriter();
  describePodTemplate(w, t);
  return w.raw();
}

export function describePod(w: PrefixWriter, p: Pod): void {
  const spec = p.spec ?? ({ containers: [] } as Pod['spec']);
  const st = p.status ?? {};
  w.write(0, `Name:\t${p.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${p.metadata.namespace ?? ''}\n`);
  if (spec.priority !== undefined && spec.priority !== null) w.write(0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec['runtimeClassName']) w.write(0, `Runtime Class Name:\t${String(spec['runtimeClassName'])}\n`);
  if (spec.serviceAccountName) w.write(0, `Service Account:\t${spec.serviceAccountName}\n`);
  w.write(0, spec.nodeName ? `Node:\t${spec.nodeName}/${st.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (st.startTime) w.write(0, `Start Time:\t${rfc1123z(st.startTime)}\n`);
  printLabelsMultiline(w, 'Labels', p.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', p.metadata.annotations);
  if (p.metadata.deletionTimestamp && st.phase !== 'Failed' && st.phase !== 'Succeeded') {
    w.write(0, `Status:\tTerminating (lasts ${humanSince(p.metadata.deletionTimestamp)})\n`);
    w.write(0, `Termination Grace Period:\t${p.metadata.deletionGracePeriodSeconds ?? 0}s\n`);
  } else {
    w.write(0, `Status:\t${st.phase ?? ''}\n`);
  }
  if (st.reason) w.write(0, `Reason:\t${st.reason}\n`);
  if (st.message) w.write(0, `Message:\t${st.message}\n`);
  const seccomp = (spec['securityContext'] as SecurityContext | undefined)?.seccompProfile;
  if (seccomp) {
    w.write(0, `SeccompProfile:\t${seccomp.type ?? ''}\n`);
    if (seccomp.type === 'Localhost') w.write(0, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
  }
  w.write(0, `IP:\t${st.podIP ?? ''}\n`);
  if (!st.podIPs?.length) w.write(0, 'IPs:\t<none>\n');
  else {
    w.write(0, 'IPs:\n');
    for (const ip of st.podIPs) w.write(1, `IP:\t${ip.ip}\n`);
  }
  const owner = (p.metadata.ownerReferences ?? []).find((x) => x.controller);
  if (owner) w.write(0, `Controlled By:\t${owner.kind}/${owner.name}\n`);
  if (st['nominatedNodeName']) w.write(0, `NominatedNodeName:\t${String(st['nominatedNodeName'])}\n`);
  if (spec['resources']) {
    w.write(0, 'Resources:\n');
    describeResources(w, spec['resources'] as ResourceRequirements, 1);
  }
  if (spec.initContainers?.length) describeContainers(w, 'Init Containers', spec.initContainers, st.initContainerStatuses, p, '');
  describeContainers(w, 'Containers', spec.containers, st.containerStatuses, p, '');
  const ephemeral = spec['ephemeralContainers'] as Container[] | undefined;
  if (ephemeral?.length) describeContainers(w, 'Ephemeral Containers', ephemeral, st['ephemeralContainerStatuses'] as ContainerStatus[] | undefined, p, '');
  const conditions = st.conditions ?? [];
  if (spec.readinessGates?.length) {
    w.write(0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const g of spec.readinessGates) w.write(1, `${g.conditionType} \t${conditions.find((c) => c.type === g.conditionType)?.status ?? '<none>'} \n`);
  }
  if (conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of conditions) w.write(1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(w, spec.volumes, '');
  w.write(0, `QoS Class:\t${(st['qosClass'] as string | undefined) || podQOSClass(spec)}\n`);
  printLabelsMultiline(w, 'Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, 'Tolerations', spec.tolerations);
  describeTopologySpreadConstraints(w, spec['topologySpreadConstraints'] as TopologySpreadConstraint[] | undefined, '');
}

async function describeDaemonSet(ctx: CliContext, cmd: Command, w: PrefixWriter, ds: DaemonSet): Promise<void> {
  w.write(0, `Name:\t${ds.metadata.name ?? ''}\n`);
  w.write(0, `Selector:\t${selectorText(ds.spec.selector)}\n`);
  w.write(0, `Node-Selector:\t${formatLabels(ds.spec.template?.spec?.nodeSelector)}\n`);
  printLabelsMultiline(w, 'Labels', ds.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', ds.metadata.annotations);
  const st = ds.status ?? ({} as NonNullable<DaemonSet['status']>);
  w.write(0, `Desired Number of Nodes Scheduled: ${st.desiredNumberScheduled ?? 0}\n`);
  w.write(0, `Current Number of Nodes Scheduled: ${st.currentNumberScheduled ?? 0}\n`);
  w.write(0, `Number of Nodes Scheduled with Up-to-date Pods: ${st.updatedNumberScheduled ?? 0}\n`);
  w.write(0, `Number of Nodes Scheduled with Available Pods: ${st.numberAvailable ?? 0}\n`);
  w.write(0, `Number of Nodes Misscheduled: ${st.numberMisscheduled ?? 0}\n`);
  // kubectl's getPodStatusForController: the pods the selector finds that this DaemonSet controls.
  const counts = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  const pods = await ctx.conn(cmd).client.list<Pod>(podsResource, { namespace: ds.metadata.namespace ?? '', labelSelector: selectorText(ds.spec.selector) });
  for (const p of pods.items) {
    if (controllerUid(p) !== ds.metadata.uid) continue;
    const phase = p.status?.phase;
    if (phase === 'Running') counts.running++;
    else if (phase === 'Pending') counts.waiting++;
    else if (phase === 'Succeeded') counts.succeeded++;
    else if (phase === 'Failed') counts.failed++;
  }
  w.write(0, `Pods Status:\t${counts.running} Running / ${counts.waiting} Waiting / ${counts.succeeded} Succeeded / ${counts.failed} Failed\n`);
  describePodTemplate(w, ds.spec.template);
}

// ---------------------------------------------------------------------------------------------
// Node and other kinds (everynode's own layouts)

function header(w: PrefixWriter, o: KubeObject, r: ResourceInfo): void {
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  if (r.group === '' && r.kind === 'Node') {
    w.write(0, `Roles:\t${nodeRoles(o.metadata.labels).join(',') || '<none>'}\n`);
  }
  if (r.namespaced) w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  if (o.metadata.creationTimestamp) w.write(0, `CreationTimestamp:\t${rfc1123z(o.metadata.creationTimestamp)}\n`);
  if (o.metadata.deletionTimestamp) w.write(0, `DeletionTimestamp:\t${rfc1123z(o.metadata.deletionTimestamp)}\n`);
  const owner = (o.metadata.ownerReferences ?? []).find((x) => x.controller);
  if (owner) w.write(0, `Controlled By:\t${owner.kind}/${owner.name}\n`);
}

/** `<quantity> (<percent of allocatable>%)`, the percentage truncated as Go's int64() does. */
function ofAllocatable(q: Quantity | undefined, allocatable: Quantity | undefined): string {
  const total = milliValue(allocatable);
  const pct = total === 0 ? 0 : Math.trunc((milliValue(q) / total) * 100);
  return `${q ? formatQuantity(q) : '0'} (${pct}%)`;
}

const standardResources = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage', 'pods']);

/**
 * kubectl 1.32's describeNode: the node Lease, conditions with both times, capacity and
 * allocatable, system info, the non-terminated pods with their requests and limits as a share
 * of allocatable, and the allocated totals. Cells are tab-separated (aligned by tabbed()).
 */
async function describeNode(ctx: CliContext, cmd: Command, w: PrefixWriter, n: Node): Promise<void> {
  const name = n.metadata.name ?? '';
  const taints = (n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
  if (taints.length === 0) w.write(0, 'Taints:\t<none>\n');
  else taints.forEach((t, i) => w.write(0, i === 0 ? `Taints:\t${t}\n` : `\t${t}\n`));
  w.write(0, `Unschedulable:\t${String(n.spec?.unschedulable === true)}\n`);
  const conn = ctx.conn(cmd);
  let leaseError = '';
  const lease = await conn.client.get<Lease>(leasesResource, 'kube-node-lease', name).catch((e: unknown) => {
    leaseError = e instanceof Error ? e.message : String(e);
    return undefined;
  });
  // As kubectl: a node without a Lease (one no agent runs) says why there is none.
  if (!lease) w.write(0, `Lease:\tFailed to get lease: ${leaseError}\n`);
  else {
    w.write(0, 'Lease:\n');
    w.write(1, `HolderIdentity:\t${lease.spec?.holderIdentity ?? '<unset>'}\n`);
    w.write(1, `AcquireTime:\t${lease.spec?.acquireTime ? rfc1123z(lease.spec.acquireTime) : '<unset>'}\n`);
    w.write(1, `RenewTime:\t${lease.spec?.renewTime ? rfc1123z(lease.spec.renewTime) : '<unset>'}\n`);
  }
  const conds = n.status?.conditions ?? [];
  if (conds.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of conds) w.write(1, `${c.type} \t${c.status} \t${rfc1123z(c.lastHeartbeatTime)} \t${rfc1123z(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`);
  }
  w.write(0, 'Addresses:\n');
  for (const a of n.status?.addresses ?? []) w.write(1, `${a.type}:\t${a.address}\n`);
  const resourceList = (title: string, list: Record<string, unknown> | undefined): void => {
    const keys = Object.keys(list ?? {}).sort();
    if (keys.length === 0) return;
    w.write(0, `${title}:\n`);
    for (const k of keys) {
      const q = parseQuantity(list![k]);
      w.write(0, `  ${k}:\t${q ? formatQuantity(q) : String(list![k])}\n`);
    }
  };
  resourceList('Capacity', n.status?.capacity as Record<string, unknown> | undefined);
  resourceList('Allocatable', n.status?.allocatable as Record<string, unknown> | undefined);
  const info = (n.status?.nodeInfo ?? {}) as Record<string, string | undefined>;
  w.write(0, 'System Info:\n');
  for (const [label, key] of [
    ['Machine ID', 'machineID'], ['System UUID', 'systemUUID'], ['Boot ID', 'bootID'], ['Kernel Version', 'kernelVersion'], ['OS Image', 'osImage'],
    ['Operating System', 'operatingSystem'], ['Architecture', 'architecture'], ['Container Runtime Version', 'containerRuntimeVersion'],
    ['Kubelet Version', 'kubeletVersion'], ['Kube-Proxy Version', 'kubeProxyVersion'],
  ] as const) {
    w.write(0, `  ${label}:\t${info[key] ?? ''}\n`);
  }
  const spec = (n.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[]; providerID?: string };
  if (spec.podCIDR) w.write(0, `PodCIDR:\t${spec.podCIDR}\n`);
  if (spec.podCIDRs?.length) w.write(0, `PodCIDRs:\t${spec.podCIDRs.join(',')}\n`);
  if (spec.providerID) w.write(0, `ProviderID:\t${spec.providerID}\n`);
  let pods: Pod[];
  try {
    pods = (await conn.client.list<Pod>(podsResource, { fieldSelector: `spec.nodeName=${name},status.phase!=Failed,status.phase!=Succeeded` })).items;
  } catch {
    w.write(0, 'Pods:\tnot authorized\n');
    return;
  }
  const capacity = (n.status?.capacity ?? {}) as Record<string, unknown>;
  const allocatableList = (Object.keys(n.status?.allocatable ?? {}).length > 0 ? n.status!.allocatable : capacity) as Record<string, unknown>;
  const alloc = (k: string): Quantity | undefined => parseQuantity(allocatableList[k]);
  w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const totals = { requests: new Map<string, Quantity>(), limits: new Map<string, Quantity>() };
  for (const p of pods) {
    // kubectl's PodRequestsAndLimits: sidecars counted, the overhead added (pod-resources.ts).
    const requests = podResourceTotals(p, 'requests', { overhead: true });
    const limits = podResourceTotals(p, 'limits', { overhead: true });
    for (const [k, q] of requests) totals.requests.set(k, addQuantity(totals.requests.get(k), q));
    for (const [k, q] of limits) totals.limits.set(k, addQuantity(totals.limits.get(k), q));
    w.write(
      1,
      `${p.metadata.namespace ?? ''}\t${p.metadata.name ?? ''}\t\t${ofAllocatable(requests.get('cpu'), alloc('cpu'))}\t${ofAllocatable(limits.get('cpu'), alloc('cpu'))}\t` +
        `${ofAllocatable(requests.get('memory'), alloc('memory'))}\t${ofAllocatable(limits.get('memory'), alloc('memory'))}\t${humanSince(p.metadata.creationTimestamp)}\n`,
    );
  }
  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  for (const k of ['cpu', 'memory', 'ephemeral-storage']) w.write(1, `${k}\t${ofAllocatable(totals.requests.get(k), alloc(k))}\t${ofAllocatable(totals.limits.get(k), alloc(k))}\n`);
  const extended = Object.keys(allocatableList).filter((k) => k.startsWith('hugepages-') || (!standardResources.has(k) && !k.startsWith('requests.') && !k.startsWith('limits.')));
  for (const k of extended.sort()) {
    const r = totals.requests.get(k);
    const l = totals.limits.get(k);
    w.write(1, `${k}\t${r ? formatQuantity(r) : '0'}\t${l ? formatQuantity(l) : '0'}\n`);
  }
}

/** kubectl's Secret describer: the values' sizes only (a service account token's token in full, as kubectl shows it). */
function describeSecret(w: PrefixWriter, o: KubeObject): void {
  const secret = o as KubeObject & { type?: string; data?: Record<string, string> };
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, `\nType:\t${secret.type ?? ''}\n`);
  w.write(0, '\nData\n====\n');
  for (const k of Object.keys(secret.data ?? {}).sort()) {
    const bytes = Buffer.from(secret.data![k] ?? '', 'base64');
    if (k === 'token' && secret.type === 'kubernetes.io/service-account-token') w.write(0, `${k}:\t${bytes.toString('utf8')}\n`);
    else w.write(0, `${k}:\t${bytes.length} bytes\n`);
  }
}

/** kubectl's ConfigMap describer: each value under its key, binary values by size. */
function describeConfigMap(w: PrefixWriter, o: KubeObject): void {
  const cm = o as KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> };
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, '\nData\n====\n');
  for (const k of Object.keys(cm.data ?? {}).sort()) w.write(0, `${k}:\n----\n${cm.data![k]}\n\n`);
  w.write(0, '\nBinaryData\n====\n');
  for (const k of Object.keys(cm.binaryData ?? {}).sort()) w.write(0, `${k}: ${Buffer.from(cm.binaryData![k] ?? '', 'base64').length} bytes\n`);
  w.write(0, '\n');
}

interface LimitRangeItem {
  type?: string;
  max?: Record<string, string | number>;
  min?: Record<string, string | number>;
  default?: Record<string, string | number>;
  defaultRequest?: Record<string, string | number>;
  maxLimitRequestRatio?: Record<string, string | number>;
}

type LimitRange = KubeObject & { spec?: { limits?: LimitRangeItem[] } };

/**
 * kubectl's describeLimitRangeSpec: a row per item and resource, `-` where the item has no value.
 * kubectl walks a Go map, so its rows of one item come in no fixed order: here by name.
 */
function describeLimitRangeSpec(w: PrefixWriter, lr: LimitRange, prefix: string): void {
  const value = (m: Record<string, string | number> | undefined, k: string): string => (m && k in m ? quantityText(m[k]) : '-');
  for (const item of lr.spec?.limits ?? []) {
    const names = new Set<string>();
    for (const m of [item.max, item.min, item.default, item.defaultRequest, item.maxLimitRequestRatio]) for (const k of Object.keys(m ?? {})) names.add(k);
    for (const k of sortStrings([...names])) {
      w.write(0, `${prefix}${item.type ?? ''}\t${k}\t${value(item.min, k)}\t${value(item.max, k)}\t${value(item.defaultRequest, k)}\t${value(item.default, k)}\t${value(item.maxLimitRequestRatio, k)}\n`);
    }
  }
}

const limitRangeColumns = 'Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n';
const limitRangeRule = '----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n';

function describeLimitRange(w: PrefixWriter, o: KubeObject): void {
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  w.write(0, limitRangeColumns);
  w.write(0, limitRangeRule);
  describeLimitRangeSpec(w, o as LimitRange, '');
}

/** kubectl's help line of a quota scope (none for PriorityClass and CrossNamespacePodAffinity). */
const quotaScopeHelp: Record<string, string> = {
  Terminating: 'Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.',
  NotTerminating: 'Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.',
  BestEffort: 'Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.',
  NotBestEffort: 'Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.',
};

/** A quota's sorted scopes and the help line of each (`bullet` before it), when it has scopes. */
function writeQuotaScopes(w: PrefixWriter, level: number, q: ResourceQuota, bullet: string): void {
  const scopes = sortStrings([...(q.spec?.scopes ?? [])]);
  if (scopes.length === 0) return;
  w.write(level, `Scopes:\t${scopes.join(', ')}\n`);
  for (const s of scopes) if (quotaScopeHelp[s]) w.write(level, `${bullet}${quotaScopeHelp[s]}\n`);
}

/**
 * kubectl's ResourceQuota describer: name, namespace, scopes with their help lines, then a row
 * per resource of status.hard (`Used` in the format of `Hard`, as kubectl re-makes it), no events.
 */
function describeResourceQuota(w: PrefixWriter, o: KubeObject): void {
  const q = o as ResourceQuota;
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  writeQuotaScopes(w, 0, q, ' * ');
  w.write(0, 'Resource\tUsed\tHard\n');
  w.write(0, '--------\t----\t----\n');
  const hard = q.status?.hard ?? {};
  for (const name of sortStrings(Object.keys(hard))) {
    const h = parseQuantity(hard[name]);
    let used = parseQuantity(q.status?.used?.[name]) ?? { mantissa: 0n, exp10: 0, format: 'DecimalSI' as const };
    if (h && h.format !== used.format) used = { mantissa: scaledValue(used, 0), exp10: 0, format: h.format };
    w.write(0, `${name}\t${formatQuantity(used)}\t${h ? formatQuantity(h) : ''}\n`);
  }
}

/** kubectl's DescribeResourceQuotas, the namespace describer's section: each quota by name. */
function describeNamespaceQuotas(w: PrefixWriter, quotas: ResourceQuota[]): void {
  if (quotas.length === 0) {
    w.write(0, 'No resource quota.\n');
    return;
  }
  w.write(0, 'Resource Quotas\n');
  for (const q of [...quotas].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1))) {
    w.write(1, `Name:\t${q.metadata.name ?? ''}\n`);
    writeQuotaScopes(w, 1, q, '* ');
    w.write(1, 'Resource\tUsed\tHard\n');
    w.write(1, '--------\t---\t---\n');
    const hard = q.status?.hard ?? {};
    for (const name of sortStrings(Object.keys(hard))) w.write(1, `${name}\t${quantityText(q.status?.used?.[name] ?? '0')}\t${quantityText(hard[name])}\n`);
  }
}

/** A namespace's objects of `r` for a section of its description: undefined from a server that serves none. */
async function namespaceSection<T extends KubeObject>(ctx: CliContext, cmd: Command, r: ResourceDescriptor, namespace: string): Promise<T[] | undefined> {
  try {
    return (await ctx.conn(cmd).client.list<T>(r, { namespace })).items;
  } catch (err) {
    // As kubectl: a server without the resource leaves the section out; any other error fails.
    if (!isNotFound(err)) throw err;
    return undefined;
  }
}

/**
 * kubectl's Namespace describer: status, conditions, then the namespace's ResourceQuotas (`No
 * resource quota.` when it has none) and its LimitRanges merged in one table (`No LimitRange
 * resource.`); a section is left out by a server that does not serve its kind.
 */
async function describeNamespace(ctx: CliContext, cmd: Command, w: PrefixWriter, o: KubeObject): Promise<void> {
  const st = (o as KubeObject & { status?: { phase?: string; conditions?: { type?: string; status?: string; lastTransitionTime?: string; reason?: string; message?: string }[] } }).status;
  const quotas = await namespaceSection<ResourceQuota>(ctx, cmd, resourceQuotasResource, o.metadata.name ?? '');
  const ranges = await namespaceSection<LimitRange>(ctx, cmd, limitRangesResource, o.metadata.name ?? '');
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, `Status:\t${st?.phase ?? ''}\n`);
  if ((st?.conditions ?? []).length > 0) {
    w.write(0, 'Conditions:\n');
    w.write(1, 'Type\tStatus\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t------------------\t------\t-------\n');
    for (const c of st!.conditions!) w.write(1, `${c.type ?? ''}\t${c.status ?? ''}\t${rfc1123z(c.lastTransitionTime)}\t${c.reason ?? ''}\t${c.message ?? ''}\n`);
  }
  if (quotas) {
    w.write(0, '\n');
    describeNamespaceQuotas(w, quotas);
  }
  if (!ranges) return;
  w.write(0, '\n');
  if (ranges.length === 0) {
    w.write(0, 'No LimitRange resource.\n');
    return;
  }
  w.write(0, `Resource Limits\n ${limitRangeColumns}`);
  w.write(0, ` ${limitRangeRule}`);
  for (const lr of ranges) describeLimitRangeSpec(w, lr, ' ');
}

/**
 * kubectl's ServiceAccount describer: its image pull and mountable secrets (`(not found)` when
 * the namespace has no such Secret) and the token Secrets made for it, each list `<none>` when
 * empty, then its events.
 */
async function describeServiceAccount(ctx: CliContext, cmd: Command, w: PrefixWriter, o: KubeObject): Promise<void> {
  const sa = o as KubeObject & { imagePullSecrets?: { name?: string }[]; secrets?: { name?: string }[] };
  let secrets: KubeObject[] = [];
  try {
    secrets = (await ctx.conn(cmd).client.list(secretsResource, { namespace: o.metadata.namespace ?? '' })).items;
  } catch {
    // As kubectl: secrets that cannot be listed are not looked up.
  }
  const known = new Set(secrets.map((x) => x.metadata.name ?? ''));
  const tokens = secrets.filter((x) => (x as KubeObject & { type?: string }).type === 'kubernetes.io/service-account-token' && x.metadata.annotations?.['kubernetes.io/service-account.name'] === o.metadata.name);
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  const lists: [string, string[], boolean][] = [
    ['Image pull secrets:', (sa.imagePullSecrets ?? []).map((x) => x.name ?? ''), true],
    ['Mountable secrets: ', (sa.secrets ?? []).map((x) => x.name ?? ''), true],
    ['Tokens:            ', tokens.map((x) => x.metadata.name ?? ''), false],
  ];
  for (const [title, names, check] of lists) {
    if (names.length === 0) w.write(0, `${title}\t<none>\n`);
    names.forEach((n, i) => w.write(0, `${i === 0 ? title : '                   '}\t${n}${check && !known.has(n) ? ' (not found)' : ''}\n`));
  }
}

interface ServicePortSpec {
  name?: string;
  port?: number;
  protocol?: string;
  targetPort?: number | string;
  nodePort?: number;
}

interface EndpointSliceView {
  ports?: { name?: string; port?: number }[];
  endpoints?: { addresses?: string[] }[];
}

/**
 * kubectl's formatEndpointSlices: up to three `address:port` of the slices' ports named
 * `portName` (bare addresses for a slice without ports), `+ N more...` beyond; `<none>` without
 * slices.
 */
function formatEndpointSlices(slices: EndpointSliceView[], portName: string): string {
  if (slices.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  const add = (text: string): void => {
    if (list.length < max) list.push(text);
    count++;
  };
  for (const slice of slices) {
    const endpoints = slice.endpoints ?? [];
    if ((slice.ports ?? []).length === 0) {
      for (const e of endpoints) add(e.addresses?.[0] ?? '');
      continue;
    }
    for (const port of slice.ports ?? []) {
      if ((port.name ?? '') !== portName) continue;
      for (const e of endpoints) {
        const addr = e.addresses?.[0] ?? '';
        add(`${addr.includes(':') ? `[${addr}]` : addr}:${port.port ?? 0}`);
      }
    }
  }
  return count > max ? `${list.join(',')} + ${count - max} more...` : list.join(',');
}

/** kubectl's Service describer: type, addresses, each port with its target and endpoints, policies, events. */
async function describeService(ctx: CliContext, cmd: Command, w: PrefixWriter, o: KubeObject): Promise<void> {
  const svc = o as KubeObject & {
    spec?: {
      selector?: Record<string, string>;
      type?: string;
      ipFamilyPolicy?: string;
      ipFamilies?: string[];
      clusterIP?: string;
      clusterIPs?: string[];
      externalIPs?: string[];
      loadBalancerIP?: string;
      externalName?: string;
      ports?: ServicePortSpec[];
      sessionAffinity?: string;
      externalTrafficPolicy?: string;
      internalTrafficPolicy?: string;
      healthCheckNodePort?: number;
      loadBalancerSourceRanges?: string[];
    };
    status?: { loadBalancer?: { ingress?: { ip?: string; ipMode?: string; hostname?: string }[] } };
  };
  const spec = svc.spec ?? {};
  let slices: EndpointSliceView[] = [];
  try {
    slices = (await ctx.conn(cmd).client.list(endpointSlicesResource, { namespace: o.metadata.namespace ?? '', labelSelector: `kubernetes.io/service-name=${o.metadata.name ?? ''}` })).items as unknown as EndpointSliceView[];
  } catch {
    // As kubectl: slices that cannot be listed are none.
  }
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, `Selector:\t${formatLabels(spec.selector)}\n`);
  w.write(0, `Type:\t${spec.type ?? ''}\n`);
  if (spec.ipFamilyPolicy !== undefined) w.write(0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
  w.write(0, `IP Families:\t${(spec.ipFamilies ?? []).length > 0 ? spec.ipFamilies!.join(',') : '<none>'}\n`);
  w.write(0, `IP:\t${spec.clusterIP ?? ''}\n`);
  w.write(0, `IPs:\t${(spec.clusterIPs ?? []).length > 0 ? spec.clusterIPs!.join(',') : '<none>'}\n`);
  if ((spec.externalIPs ?? []).length > 0) w.write(0, `External IPs:\t${spec.externalIPs!.join(',')}\n`);
  if (spec.loadBalancerIP) w.write(0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}\n`);
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  // An IP with its ipMode (`203.0.113.10 (VIP)`), else the hostname, as kubectl's buildIngressString.
  if (ingress.length > 0) w.write(0, `LoadBalancer Ingress:\t${ingress.map((i) => (i.ip ? `${i.ip}${i.ipMode ? ` (${i.ipMode})` : ''}` : i.hostname || '')).join(', ')}\n`);
  if (spec.externalName) w.write(0, `External Name:\t${spec.externalName}\n`);
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    const protocol = p.protocol ?? 'TCP';
    w.write(0, `Port:\t${name}\t${p.port ?? 0}/${protocol}\n`);
    w.write(0, `TargetPort:\t${p.targetPort ?? p.port ?? 0}/${protocol}\n`);
    if (p.nodePort) w.write(0, `NodePort:\t${name}\t${p.nodePort}/${protocol}\n`);
    w.write(0, `Endpoints:\t${formatEndpointSlices(slices, p.name ?? '')}\n`);
  }
  w.write(0, `Session Affinity:\t${spec.sessionAffinity ?? ''}\n`);
  if (spec.externalTrafficPolicy) w.write(0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
  if (spec.internalTrafficPolicy !== undefined) w.write(0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
  if (spec.healthCheckNodePort) w.write(0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`);
  if ((spec.loadBalancerSourceRanges ?? []).length > 0) w.write(0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges!.join(',')}\n`);
}

interface IngressBackend {
  service?: { name?: string; port?: { name?: string; number?: number } };
  resource?: { apiGroup?: string; kind?: string; name?: string };
}

interface Ingress extends KubeObject {
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    tls?: { hosts?: string[]; secretName?: string }[];
    rules?: { host?: string; http?: { paths?: { path?: string; backend?: IngressBackend }[] } }[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

/**
 * kubectl's describeBackendV1: a Service backend as `name:port (endpoints)`, the endpoints of
 * the slices of the Service's port that the backend names (by number or name); `(<error: ...>)`
 * when the slices or the Service cannot be read. A resource backend as its reference.
 */
async function describeIngressBackend(ctx: CliContext, cmd: Command, ns: string, b: IngressBackend): Promise<string> {
  if (b.service) {
    const port = b.service.port ?? {};
    const name = b.service.name ?? '';
    const text = `${name}:${port.number ? String(port.number) : (port.name ?? '')}`;
    const client = ctx.conn(cmd).client;
    try {
      const slices = (await client.list(endpointSlicesResource, { namespace: ns, labelSelector: `kubernetes.io/service-name=${name}` })).items as unknown as EndpointSliceView[];
      const svc = (await client.get(servicesResource, ns, name)) as KubeObject & { spec?: { ports?: ServicePortSpec[] } };
      let portName = '';
      for (const sp of svc.spec?.ports ?? []) {
        if ((port.number && port.number === sp.port) || (port.name && port.name === sp.name)) portName = sp.name ?? '';
      }
      return `${text} (${formatEndpointSlices(slices, portName)})`;
    } catch (err) {
      return `${text} (<error: ${err instanceof Error ? err.message : String(err)}>)`;
    }
  }
  if (b.resource) return `APIGroup: ${b.resource.apiGroup ?? '<none>'}, Kind: ${b.resource.kind ?? ''}, Name: ${b.resource.name ?? ''}`;
  return '';
}

/** kubectl's Ingress describer: address, class, default backend, TLS, a table of rules and their backends' endpoints. */
async function describeIngress(ctx: CliContext, cmd: Command, w: PrefixWriter, o: KubeObject): Promise<void> {
  const ing = o as Ingress;
  const spec = ing.spec ?? {};
  const ns = o.metadata.namespace ?? '';
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  w.write(0, `Namespace:\t${ns}\n`);
  const addresses = new Set((ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((a) => a !== ''));
  w.write(0, `Address:\t${sortStrings([...addresses]).join(',')}\n`);
  w.write(0, `Ingress Class:\t${spec.ingressClassName ?? '<none>'}\n`);
  const defaultBackend = spec.defaultBackend ? await describeIngressBackend(ctx, cmd, ns, spec.defaultBackend) : '<default>';
  w.write(0, `Default backend:\t${defaultBackend}\n`);
  if ((spec.tls ?? []).length > 0) {
    w.write(0, 'TLS:\n');
    for (const t of spec.tls!) {
      const hosts = (t.hosts ?? []).join(',');
      w.write(1, t.secretName ? `${t.secretName} terminates ${hosts}\n` : `SNI routes ${hosts}\n`);
    }
  }
  w.write(0, 'Rules:\n  Host\tPath\tBackends\n');
  w.write(1, '----\t----\t--------\n');
  let count = 0;
  for (const rule of spec.rules ?? []) {
    if (!rule.http) continue;
    count++;
    w.write(1, `${rule.host || '*'}\t\n`);
    for (const path of rule.http.paths ?? []) w.write(2, `\t${path.path ?? ''} \t${await describeIngressBackend(ctx, cmd, ns, path.backend ?? {})}\n`);
  }
  if (count === 0) w.write(1, `*\t*\t${defaultBackend}\n`);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
}

/** kubectl's IngressClass describer: the controller and where its parameters are. */
function describeIngressClass(w: PrefixWriter, o: KubeObject): void {
  const spec = (o as KubeObject & { spec?: { controller?: string; parameters?: { apiGroup?: string; kind?: string; name?: string } } }).spec ?? {};
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, `Controller:\t${spec.controller ?? ''}\n`);
  const params = spec.parameters;
  if (params) {
    w.write(0, 'Parameters:\n');
    if (params.apiGroup !== undefined) w.write(1, `APIGroup:\t${params.apiGroup}\n`);
    w.write(1, `Kind:\t${params.kind ?? ''}\n`);
    w.write(1, `Name:\t${params.name ?? ''}\n`);
  }
}

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** Go's `%v` of a []string: `[a b]`, `[]` for nil or empty, an empty string as nothing. */
const goList = (l: string[] | undefined): string => `[${(l ?? []).join(' ')}]`;

/**
 * kubectl's rule table of a Role or ClusterRole: each rule broken down into one rule per API
 * group, resource, verb and resource name (a non-resource URL per verb); those of one group,
 * resource and (at most one) name compacted back into one rule with their verbs in order of
 * appearance; the result sorted by the Go text of each rule (verbs first), as rbac's helpers do.
 */
export function policyRuleRows(rules: PolicyRule[]): string[][] {
  const broken: PolicyRule[] = [];
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs ?? []) {
          if ((rule.resourceNames ?? []).length > 0) for (const name of rule.resourceNames!) broken.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
          else broken.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        }
      }
    }
    for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs ?? []) broken.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of broken) {
    if (rule.nonResourceURLs) {
      compacted.push(rule);
      continue;
    }
    const key = JSON.stringify([rule.apiGroups![0], rule.resources![0], rule.resourceNames?.[0] ?? null]);
    const seen = simple.get(key);
    if (!seen) simple.set(key, { ...rule, verbs: [...rule.verbs!] });
    else if (!seen.verbs!.includes(rule.verbs![0]!)) seen.verbs!.push(rule.verbs![0]!);
  }
  compacted.push(...simple.values());
  const goText = (r: PolicyRule): string =>
    `&PolicyRule{Verbs:${goList(r.verbs)},APIGroups:${goList(r.apiGroups)},Resources:${goList(r.resources)},ResourceNames:${goList(r.resourceNames)},NonResourceURLs:${goList(r.nonResourceURLs)},}`;
  const sorted = compacted.map((r) => ({ r, text: goText(r) })).sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return sorted.map(({ r }) => {
    // kubectl's CombineResourceGroup: `resource.group`, a sub-resource after it (`pods.x/log`).
    const [res, sub] = (r.resources?.[0] ?? '').split(/\/(.*)/s) as [string, string | undefined];
    const group = r.apiGroups?.[0] ?? '';
    const combined = r.resources?.length ? `${res}${group !== '' ? `.${group}` : ''}${sub !== undefined ? `/${sub}` : ''}` : '';
    return [combined, goList(r.nonResourceURLs), goList(r.resourceNames), goList(r.verbs)];
  });
}

/** kubectl's Role and ClusterRole describer (no namespace line, no events). */
function describeRole(w: PrefixWriter, o: KubeObject): void {
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, 'PolicyRule:\n');
  w.write(1, 'Resources\tNon-Resource URLs\tResource Names\tVerbs\n');
  w.write(1, '---------\t-----------------\t--------------\t-----\n');
  for (const row of policyRuleRows((o as KubeObject & { rules?: PolicyRule[] }).rules ?? [])) w.write(1, `${row.join('\t')}\n`);
}

/** kubectl's RoleBinding and ClusterRoleBinding describer (no namespace line, no events). */
function describeRoleBinding(w: PrefixWriter, o: KubeObject): void {
  const b = o as KubeObject & { roleRef?: { kind?: string; name?: string }; subjects?: { kind?: string; name?: string; namespace?: string }[] };
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, 'Role:\n');
  w.write(1, `Kind:\t${b.roleRef?.kind ?? ''}\n`);
  w.write(1, `Name:\t${b.roleRef?.name ?? ''}\n`);
  w.write(0, 'Subjects:\n');
  w.write(1, 'Kind\tName\tNamespace\n');
  w.write(1, '----\t----\t---------\n');
  for (const s of b.subjects ?? []) w.write(1, `${s.kind ?? ''}\t${s.name ?? ''}\t${s.namespace ?? ''}\n`);
}

/** kubectl's PodDisruptionBudget describer: its budget, selector and status counts (its events follow). */
function describePodDisruptionBudget(w: PrefixWriter, o: KubeObject): void {
  const pdb = o as KubeObject & {
    spec?: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: LabelSelector | null };
    status?: { disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number };
  };
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  if (pdb.spec?.minAvailable !== undefined) w.write(0, `Min available:\t${pdb.spec.minAvailable}\n`);
  else if (pdb.spec?.maxUnavailable !== undefined) w.write(0, `Max unavailable:\t${pdb.spec.maxUnavailable}\n`);
  w.write(0, `Selector:\t${pdb.spec?.selector ? formatLabelSelector(pdb.spec.selector) : '<unset>'}\n`);
  w.write(0, 'Status:\n');
  w.write(2, `Allowed disruptions:\t${pdb.status?.disruptionsAllowed ?? 0}\n`);
  w.write(2, `Current:\t${pdb.status?.currentHealthy ?? 0}\n`);
  w.write(2, `Desired:\t${pdb.status?.desiredHealthy ?? 0}\n`);
  w.write(2, `Total:\t${pdb.status?.expectedPods ?? 0}\n`);
}

/** kubectl's Endpoints describer: each subset's ready and not-ready addresses and its ports, a blank line after each. */
function describeEndpoints(w: PrefixWriter, o: KubeObject): void {
  const ep = o as KubeObject & { subsets?: { addresses?: { ip?: string }[]; notReadyAddresses?: { ip?: string }[]; ports?: { name?: string; port?: number; protocol?: string }[] }[] };
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, 'Subsets:\n');
  for (const subset of ep.subsets ?? []) {
    w.write(1, `Addresses:\t${(subset.addresses ?? []).map((a) => a.ip ?? '').join(',') || '<none>'}\n`);
    w.write(1, `NotReadyAddresses:\t${(subset.notReadyAddresses ?? []).map((a) => a.ip ?? '').join(',') || '<none>'}\n`);
    if ((subset.ports ?? []).length > 0) {
      w.write(1, 'Ports:\n');
      w.write(2, 'Name\tPort\tProtocol\n');
      w.write(2, '----\t----\t--------\n');
      for (const port of subset.ports!) w.write(2, `${port.name || '<unset>'}\t${port.port ?? 0}\t${port.protocol ?? ''}\n`);
    }
    w.write(0, '\n');
  }
}

/** kubectl's EndpointSlice describer: address type, ports, and each endpoint with its conditions and placement. */
function describeEndpointSlice(w: PrefixWriter, o: KubeObject): void {
  const eps = o as KubeObject & {
    addressType?: string;
    ports?: { name?: string; port?: number; protocol?: string }[];
    endpoints?: { addresses?: string[]; conditions?: { ready?: boolean }; hostname?: string; targetRef?: { kind?: string; name?: string }; nodeName?: string; zone?: string }[];
  };
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, `AddressType:\t${eps.addressType ?? ''}\n`);
  if ((eps.ports ?? []).length === 0) w.write(0, 'Ports: <unset>\n');
  else {
    w.write(0, 'Ports:\n');
    w.write(1, 'Name\tPort\tProtocol\n');
    w.write(1, '----\t----\t--------\n');
    for (const port of eps.ports!) w.write(1, `${port.name || '<unset>'}\t${port.port ?? '<unset>'}\t${port.protocol ?? ''}\n`);
  }
  if ((eps.endpoints ?? []).length === 0) w.write(0, 'Endpoints: <none>\n');
  else {
    w.write(0, 'Endpoints:\n');
    for (const e of eps.endpoints!) {
      w.write(1, `- Addresses:\t${(e.addresses ?? []).join(', ') || '<none>'}\n`);
      w.write(2, 'Conditions:\n');
      w.write(3, `Ready:\t${e.conditions?.ready === undefined ? '<unset>' : String(e.conditions.ready)}\n`);
      w.write(2, `Hostname:\t${e.hostname ?? '<unset>'}\n`);
      if (e.targetRef) w.write(2, `TargetRef:\t${e.targetRef.kind ?? ''}/${e.targetRef.name ?? ''}\n`);
      w.write(2, `NodeName:\t${e.nodeName ?? '<unset>'}\n`);
      w.write(2, `Zone:\t${e.zone ?? '<unset>'}\n`);
    }
  }
}

/** kubectl's PriorityClass describer (its annotations on one line, as labels.FormatLabels). */
/**
 * kubectl's describeCertificateSigningRequest: the requester, signer, requested duration, the
 * status and the request's subject and alternative names.
 */
async function describeCertificateSigningRequest(w: PrefixWriter, o: KubeObject): Promise<void> {
  const csr = o as KubeObject & { spec?: { request?: string; signerName?: string; expirationSeconds?: number; username?: string }; status?: { conditions?: { type?: string }[]; certificate?: string } };
  const spec = csr.spec ?? {};
  const { parseCsrPem, csrNames } = await import('../../api/validation/certificates.js');
  const parsed = parseCsrPem(Buffer.from(spec.request ?? '', 'base64'));
  if ('error' in parsed) throw new CliError(`Error parsing CSR: ${parsed.error}`);
  const names = csrNames(parsed.csr);
  const subject = parsed.csr.subjectName;
  // kubectl's extractCSRStatus: Denied, else Approved, else Pending; then Failed, then Issued.
  const has = (t: string): boolean => (csr.status?.conditions ?? []).some((c) => c.type === t);
  let status = has('Denied') ? 'Denied' : has('Approved') ? 'Approved' : 'Pending';
  if (has('Failed')) status += ',Failed';
  if (csr.status?.certificate) status += ',Issued';
  const list = (prefix: string, name: string, values: string[]): void => {
    if (values.length > 0) w.write(0, `${prefix}${name}:\t${values.join(`\n${prefix}\t`)}\n`);
  };
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Labels:\t${formatLabels(o.metadata.labels)}\n`);
  w.write(0, `Annotations:\t${formatLabels(o.metadata.annotations)}\n`);
  w.write(0, `CreationTimestamp:\t${rfc1123z(o.metadata.creationTimestamp)}\n`);
  w.write(0, `Requesting User:\t${spec.username ?? ''}\n`);
  if (spec.signerName) w.write(0, `Signer:\t${spec.signerName}\n`);
  if (typeof spec.expirationSeconds === 'number') w.write(0, `Requested Duration:\t${humanDuration(spec.expirationSeconds * 1000)}\n`);
  w.write(0, `Status:\t${status}\n`);
  w.write(0, 'Subject:\n');
  w.write(0, `\tCommon Name:\t${names.commonName}\n`);
  w.write(0, `\tSerial Number:\t${subject.getField('2.5.4.5')[0] ?? ''}\n`);
  list('\t', 'Organization', names.organizations);
  list('\t', 'Organizational Unit', subject.getField('OU'));
  list('\t', 'Country', subject.getField('C'));
  list('\t', 'Locality', subject.getField('L'));
  list('\t', 'Province', subject.getField('ST'));
  list('\t', 'StreetAddress', subject.getField('2.5.4.9'));
  list('\t', 'PostalCode', subject.getField('2.5.4.17'));
  if (names.dnsNames.length + names.emailAddresses.length + names.ipAddresses.length + names.uris.length > 0) {
    w.write(0, 'Subject Alternative Names:\n');
    list('\t', 'DNS Names', names.dnsNames);
    list('\t', 'Email Addresses', names.emailAddresses);
    list('\t', 'IP Addresses', names.ipAddresses);
    list('\t', 'URIs', names.uris);
  }
}

function describePriorityClass(w: PrefixWriter, o: KubeObject): void {
  const pc = o as KubeObject & { value?: number; globalDefault?: boolean; preemptionPolicy?: string; description?: string };
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Value:\t${pc.value ?? 0}\n`);
  w.write(0, `GlobalDefault:\t${pc.globalDefault === true}\n`);
  w.write(0, `PreemptionPolicy:\t${pc.preemptionPolicy ?? ''}\n`);
  w.write(0, `Description:\t${pc.description ?? ''}\n`);
  w.write(0, `Annotations:\t${formatLabels(o.metadata.annotations)}\n`);
}

/** Go's time.Time.String() in local time (`2006-01-02 15:04:05 -0700 MST`), as `%s` of a metav1.Time. */
export function goTimeString(ts: string | null | undefined): string {
  const d = new Date(ts ?? '');
  if (!ts || Number.isNaN(d.getTime())) return '0001-01-01 00:00:00 +0000 UTC';
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${two(Math.floor(Math.abs(off) / 60))}${two(Math.abs(off) % 60)}`;
  // Go names the zone by its abbreviation; the runtime's short name is the nearest (UTC as Go).
  const name = off === 0 ? 'UTC' : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? zone);
  const ms = d.getMilliseconds();
  const frac = ms === 0 ? '' : `.${String(ms).padStart(3, '0').replace(/0+$/, '')}`;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}${frac} ${zone} ${name}`;
}

interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr?: string; except?: string[] };
}

/** kubectl's NetworkPolicy describer (no events section, as kubectl's). */
function describeNetworkPolicy(w: PrefixWriter, o: KubeObject): void {
  const spec = (o as KubeObject & { spec?: { podSelector?: LabelSelector; ingress?: { ports?: PolicyPort[]; from?: PolicyPeer[] }[]; egress?: { ports?: PolicyPort[]; to?: PolicyPeer[] }[]; policyTypes?: string[] } }).spec ?? {};
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  w.write(0, `Created on:\t${goTimeString(o.metadata.creationTimestamp)}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, 'Spec:\n');
  w.write(1, 'PodSelector: ');
  const ps = spec.podSelector;
  const selectsAll = Object.keys(ps?.matchLabels ?? {}).length === 0 && (ps?.matchExpressions ?? []).length === 0;
  w.write(2, selectsAll ? '<none> (Allowing the specific traffic to all pods in this namespace)\n' : `${formatLabelSelector(ps)}\n`);
  const types = spec.policyTypes ?? [];
  if (types.includes('Ingress')) {
    w.write(1, 'Allowing ingress traffic:\n');
    printPolicyRules(w, (spec.ingress ?? []).map((r) => ({ ports: r.ports, peers: r.from })), 'ingress', 'From', 'source');
  } else {
    w.write(1, 'Not affecting ingress traffic\n');
  }
  if (types.includes('Egress')) {
    w.write(1, 'Allowing egress traffic:\n');
    printPolicyRules(w, (spec.egress ?? []).map((r) => ({ ports: r.ports, peers: r.to })), 'egress', 'To', 'destination');
  } else {
    w.write(1, 'Not affecting egress traffic\n');
  }
  w.write(1, `Policy Types: ${types.join(', ')}\n`);
}

/** kubectl's printNetworkPolicySpecIngressFrom / EgressTo: each rule's ports, then its peers, rules apart by a dashed line. */
function printPolicyRules(w: PrefixWriter, rules: { ports?: PolicyPort[]; peers?: PolicyPeer[] }[], direction: string, peerTitle: string, peerWord: string): void {
  const indent = '    ';
  if (rules.length === 0) {
    w.write(0, `${indent}<none> (Selected pods are isolated for ${direction} connectivity)\n`);
    return;
  }
  rules.forEach((rule, i) => {
    const ports = rule.ports ?? [];
    if (ports.length === 0) w.write(0, `${indent}To Port: <any> (traffic allowed to all ports)\n`);
    for (const p of ports) {
      const port = p.port === undefined || p.port === null ? '<nil>' : String(p.port);
      const proto = p.protocol ?? 'TCP';
      w.write(0, p.endPort === undefined || p.endPort === null ? `${indent}To Port: ${port}/${proto}\n` : `${indent}To Port Range: ${port}-${p.endPort}/${proto}\n`);
    }
    const peers = rule.peers ?? [];
    if (peers.length === 0) w.write(0, `${indent}${peerTitle}: <any> (traffic not restricted by ${peerWord})\n`);
    for (const peer of peers) {
      w.write(0, `${indent}${peerTitle}:\n`);
      if (peer.podSelector && peer.namespaceSelector) {
        w.write(1, `${indent}NamespaceSelector: ${formatLabelSelector(peer.namespaceSelector)}\n`);
        w.write(1, `${indent}PodSelector: ${formatLabelSelector(peer.podSelector)}\n`);
      } else if (peer.podSelector) {
        w.write(1, `${indent}PodSelector: ${formatLabelSelector(peer.podSelector)}\n`);
      } else if (peer.namespaceSelector) {
        w.write(1, `${indent}NamespaceSelector: ${formatLabelSelector(peer.namespaceSelector)}\n`);
      } else if (peer.ipBlock) {
        w.write(1, `${indent}IPBlock:\n`);
        w.write(2, `${indent}CIDR: ${peer.ipBlock.cidr ?? ''}\n`);
        w.write(2, `${indent}Except: ${(peer.ipBlock.except ?? []).join(', ')}\n`);
      }
    }
    if (i !== rules.length - 1) w.write(0, `${indent}----------\n`);
  });
}

/** kubectl's StorageClass describer: its annotations on one line (as labels.FormatLabels), the allowed topologies as terms. */
/**
 * kubectl's CSINode describer: name, labels, annotations, creation time, then each driver with
 * its node ID, volume limit and topology keys, then the events. Upstream's storage gives empty
 * lists back as null, which kubectl leaves out: `Drivers:` and `Topology Keys:` only when there
 * are some.
 */
function describeCSINode(w: PrefixWriter, o: KubeObject): void {
  const drivers = (o as KubeObject & { spec?: { drivers?: { name?: string; nodeID?: string; topologyKeys?: string[] | null; allocatable?: { count?: number } }[] | null } }).spec?.drivers;
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  w.write(0, `CreationTimestamp:\t${rfc1123z(o.metadata.creationTimestamp)}\n`);
  w.write(0, 'Spec:\n');
  if (!drivers || drivers.length === 0) return;
  w.write(1, 'Drivers:\n');
  for (const d of drivers) {
    w.write(2, `${d.name ?? ''}:\n`);
    w.write(3, `Node ID:\t${d.nodeID ?? ''}\n`);
    if (typeof d.allocatable?.count === 'number') {
      w.write(3, 'Allocatables:\n');
      w.write(4, `Count:\t${d.allocatable.count}\n`);
    }
    // Go's %s of a []string: the keys in brackets, space-separated.
    if (d.topologyKeys && d.topologyKeys.length > 0) w.write(3, `Topology Keys:\t[${d.topologyKeys.join(' ')}]\n`);
  }
}

function describeStorageClass(w: PrefixWriter, o: KubeObject): void {
  const sc = o as KubeObject & {
    provisioner?: string;
    parameters?: Record<string, string>;
    allowVolumeExpansion?: boolean | null;
    mountOptions?: string[];
    reclaimPolicy?: string;
    volumeBindingMode?: string;
    allowedTopologies?: { matchLabelExpressions?: { key: string; values?: string[] }[] }[] | null;
  };
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `IsDefaultClass:\t${isDefaultStorageClass(o.metadata.annotations) ? 'Yes' : 'No'}\n`);
  w.write(0, `Annotations:\t${formatLabels(o.metadata.annotations)}\n`);
  w.write(0, `Provisioner:\t${sc.provisioner ?? ''}\n`);
  w.write(0, `Parameters:\t${formatLabels(sc.parameters)}\n`);
  w.write(0, `AllowVolumeExpansion:\t${sc.allowVolumeExpansion === undefined || sc.allowVolumeExpansion === null ? '<unset>' : printBool(sc.allowVolumeExpansion)}\n`);
  const options = sc.mountOptions ?? [];
  if (options.length === 0) w.write(0, 'MountOptions:\t<none>\n');
  else {
    w.write(0, 'MountOptions:\n');
    for (const opt of options) w.write(1, `${opt}\n`);
  }
  if (sc.reclaimPolicy !== undefined) w.write(0, `ReclaimPolicy:\t${sc.reclaimPolicy}\n`);
  if (sc.volumeBindingMode !== undefined) w.write(0, `VolumeBindingMode:\t${sc.volumeBindingMode}\n`);
  if (sc.allowedTopologies !== undefined && sc.allowedTopologies !== null) {
    w.write(0, 'AllowedTopologies:\t');
    if (sc.allowedTopologies.length === 0) w.line('<none>');
    else {
      w.line('');
      sc.allowedTopologies.forEach((term, i) => {
        w.write(1, `Term ${i}:\t`);
        const reqs = term.matchLabelExpressions ?? [];
        if (reqs.length === 0) w.line('<none>');
        reqs.forEach((req, j) => {
          if (j !== 0) w.write(1, '\t');
          const values = req.values ?? [];
          w.write(0, `${req.key} in${values.length > 0 ? ` [${values.join(', ')}]` : ''}\n`);
        });
      });
    }
  }
}

/** Go's `%v` of a JSON value as an unstructured object holds it (integers int64, others float64). */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return goNumber(v);
  return String(v);
}

/**
 * kubectl's smartLabelFor: a field of letters and dashes split at its camel-case humps, each
 * part title-cased (API, URL, UID, OSB and GUID upper-cased); any other field as it is.
 */
export function smartLabel(field: string): string {
  if (/[^\p{L}-]/u.test(field)) return field;
  // fatih/camelcase: runs of one class (lower, upper, other), then an upper run followed by a
  // lower run gives its last letter to the lower one (`APIVersion` -> API, Version).
  const cls = (c: string): number => (/\p{Ll}/u.test(c) ? 1 : /\p{Lu}/u.test(c) ? 2 : 3);
  const runs: string[][] = [];
  let last = 0;
  for (const c of field) {
    const k = cls(c);
    if (k === last) runs[runs.length - 1]!.push(c);
    else runs.push([c]);
    last = k;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    if (cls(runs[i]![0]!) === 2 && cls(runs[i + 1]![0]!) === 1) {
      runs[i + 1]!.unshift(runs[i]!.pop()!);
    }
  }
  const acronyms = new Set(['API', 'URL', 'UID', 'OSB', 'GUID']);
  return runs
    .filter((r) => r.length > 0)
    .map((r) => r.join(''))
    .map((part) => (acronyms.has(part.toUpperCase()) ? part.toUpperCase() : part.charAt(0).toUpperCase() + part.slice(1)))
    .join(' ');
}

/** kubectl's printUnstructuredContent: fields sorted, maps and lists nested a level deeper, `skip` by path. */
function printUnstructured(w: PrefixWriter, level: number, content: Record<string, unknown>, prefix: string, skip: Set<string>): void {
  for (const field of sortStrings(Object.keys(content))) {
    const path = `${prefix}.${field}`;
    if (skip.has(path)) continue;
    const v = content[field];
    if (isPlainObject(v)) {
      w.write(level, `${smartLabel(field)}:\n`);
      printUnstructured(w, level + 1, v, path, skip);
    } else if (Array.isArray(v)) {
      w.write(level, `${smartLabel(field)}:\n`);
      for (const child of v) {
        if (isPlainObject(child)) printUnstructured(w, level + 1, child, path, skip);
        else w.write(level + 1, `${goValue(child)}\n`);
      }
    } else w.write(level, `${smartLabel(field)}:\t${goValue(v)}\n`);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * kubectl's generic describer, for kinds without a layout of their own (custom resources among
 * them): name, namespace (empty for cluster-scoped objects), labels, annotations, then every
 * other field of the object by its humanized name (managed fields left out); events follow.
 */
function describeGeneric(w: PrefixWriter, o: KubeObject): void {
  w.write(0, `Name:\t${o.metadata.name ?? ''}\n`);
  w.write(0, `Namespace:\t${o.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', o.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', o.metadata.annotations);
  const skip = new Set(['.metadata.managedFields', '.metadata.name', '.metadata.namespace', '.metadata.labels', '.metadata.annotations']);
  printUnstructured(w, 0, o as unknown as Record<string, unknown>, '', skip);
}

async function events(ctx: CliContext, cmd: Command, w: PrefixWriter, o: KubeObject, r: ResourceInfo): Promise<void> {
  const conn = ctx.conn(cmd);
  const fs = [`involvedObject.name=${o.metadata.name ?? ''}`, `involvedObject.kind=${r.kind}`];
  if (r.namespaced) fs.push(`involvedObject.namespace=${o.metadata.namespace ?? ''}`);
  if (o.metadata.uid && r.kind !== 'Node') fs.push(`involvedObject.uid=${o.metadata.uid}`);
  const opts: { namespace?: string; fieldSelector: string } = { fieldSelector: fs.join(',') };
  if (r.namespaced) opts.namespace = o.metadata.namespace ?? '';
  let list: Event[];
  try {
    list = (await conn.client.list<Event>(eventsResource, opts)).items;
  } catch {
    // As kubectl (searchEvents' error is dropped): no Events section when they cannot be read.
    return;
  }
  describeEvents(w, list);
}

export async function describeObject(ctx: CliContext, cmd: Command, r: ResourceInfo, o: KubeObject): Promise<string> {
  const w = new PrefixWriter();
  if (r.group === 'apps' && r.kind === 'DaemonSet') await describeDaemonSet(ctx, cmd, w, o as DaemonSet);
  else if (r.group === '' && r.kind === 'Pod') describePod(w, o as Pod);
  // Never a Secret's values: their sizes, as kubectl.
  else if (r.group === '' && r.kind === 'Secret') describeSecret(w, o);
  else if (r.group === '' && r.kind === 'ConfigMap') describeConfigMap(w, o);
  else if (r.group === '' && r.kind === 'Namespace') await describeNamespace(ctx, cmd, w, o);
  else if (r.group === '' && r.kind === 'LimitRange') describeLimitRange(w, o);
  else if (r.group === '' && r.kind === 'ResourceQuota') describeResourceQuota(w, o);
  else if (r.group === '' && r.kind === 'ServiceAccount') await describeServiceAccount(ctx, cmd, w, o);
  else if (r.group === '' && r.kind === 'Service') await describeService(ctx, cmd, w, o);
  else if (r.group === 'rbac.authorization.k8s.io' && (r.kind === 'Role' || r.kind === 'ClusterRole')) describeRole(w, o);
  else if (r.group === 'rbac.authorization.k8s.io' && (r.kind === 'RoleBinding' || r.kind === 'ClusterRoleBinding')) describeRoleBinding(w, o);
  else if (r.group === 'policy' && r.kind === 'PodDisruptionBudget') describePodDisruptionBudget(w, o);
  else if (r.group === '' && r.kind === 'Endpoints') describeEndpoints(w, o);
  else if (r.group === 'discovery.k8s.io' && r.kind === 'EndpointSlice') describeEndpointSlice(w, o);
  else if (r.group === 'scheduling.k8s.io' && r.kind === 'PriorityClass') describePriorityClass(w, o);
  else if (r.group === 'certificates.k8s.io' && r.kind === 'CertificateSigningRequest') await describeCertificateSigningRequest(w, o);
  else if (r.group === 'networking.k8s.io' && r.kind === 'NetworkPolicy') describeNetworkPolicy(w, o);
  else if (r.group === 'networking.k8s.io' && r.kind === 'Ingress') await describeIngress(ctx, cmd, w, o);
  else if (r.group === 'networking.k8s.io' && r.kind === 'IngressClass') describeIngressClass(w, o);
  else if (r.group === 'storage.k8s.io' && r.kind === 'StorageClass') describeStorageClass(w, o);
  else if (r.group === 'storage.k8s.io' && r.kind === 'CSINode') describeCSINode(w, o);
  else if (r.group === '' && r.kind === 'Node') {
    header(w, o, r);
    await describeNode(ctx, cmd, w, o as Node);
  } else describeGeneric(w, o);
  // kubectl's Secret, Namespace, LimitRange, ResourceQuota, RBAC and NetworkPolicy describers show no events.
  const noEvents = (r.group === '' && (r.kind === 'Secret' || r.kind === 'Namespace' || r.kind === 'LimitRange' || r.kind === 'ResourceQuota')) || r.group === 'rbac.authorization.k8s.io' || (r.group === 'networking.k8s.io' && r.kind === 'NetworkPolicy');
  if (!noEvents) await events(ctx, cmd, w, o, r);
  return w.tabbed();
}

export function registerDescribe(program: Command, ctx: CliContext): void {
  program
    .command('describe')
    .description('Show details of a resource and its events (TYPE NAME, TYPE/NAME, or TYPE to describe all)')
    .argument('[resources...]', 'TYPE [NAME...] or TYPE/NAME ...')
    .option('-l, --selector <selector>', 'label selector (with TYPE only)')
    .option('-A, --all-namespaces', 'across all namespaces (with TYPE only)')
    .option('-f, --filename <path>', 'describe the objects this file, directory or - (stdin) names (repeatable)', listFlag('-f, --filename', 'describe'))
    .option('-R, --recursive', 'with -f DIR: also the files of its sub-directories')
    .action(async (args: string[], opts: { selector?: string; allNamespaces?: boolean; filename?: string[]; recursive?: boolean }, cmd: Command) => {
      const conn = ctx.conn(cmd);
      const blocks: string[] = [];
      if (opts.filename?.length) {
        if (args.length > 0) throw new CliError('when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well');
        // Each object the manifests name, in its own namespace (kubectl's describe -f).
        const manifests = await readManifests(opts.filename, ctx.io, { recursive: opts.recursive === true });
        if (manifests.length === 0) throw new CliError('no objects passed to describe');
        // An object of another namespace than -n's is said after the others, as kubectl.
        const failed: unknown[] = [];
        for (const m of manifests) {
          try {
            const { r, ns, name } = await target(ctx, cmd, m);
            blocks.push(await describeObject(ctx, cmd, r, await getLatest(conn, r, ns, name)));
          } catch (e) {
            if (e instanceof CliError) failed.push(e);
            else ctx.report(e);
          }
        }
        ctx.out(blocks.join('\n\n'));
        for (const e of failed) ctx.report(e);
        return;
      }
      const targets = parseTargets(args);
      for (const t of targets) {
        const r = await ctx.discovery(cmd).resolve(t.type);
        const ns = r.namespaced ? conn.namespace : '';
        let objects: KubeObject[] = [];
        if (t.names.length > 0) {
          for (const name of t.names) {
            try {
              objects.push(await conn.client.get(r, ns, name));
            } catch (err) {
              const e = await explainNotFound(conn, ns, err);
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
          // kubectl names the run's namespace here even for a cluster-scoped kind.
          if (objects.length === 0) ctx.err(!opts.allNamespaces ? `No resources found in ${conn.namespace} namespace.\n` : 'No resources found\n');
        }
        for (const o of objects) blocks.push(await describeObject(ctx, cmd, r, o));
      }
      if (targets.length === 0) throw new CliError('you must specify the type of resource to describe, e.g. "everynode describe ds x"');
      ctx.out(blocks.join('\n\n'));
    });
}
