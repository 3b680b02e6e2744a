// The agent's Prometheus endpoints (the kubelet's, reduced to what the agent measures), rendered
// in the Prometheus text format 0.0.4:
//
//   GET /metrics/resource   the kubelet's resource metrics (what metrics-server and dashboards
//                           scrape): node_cpu_usage_seconds_total, node_memory_working_set_bytes,
//                           container_cpu_usage_seconds_total, container_memory_working_set_bytes,
//                           container_start_time_seconds {container,namespace,pod},
//                           pod_cpu_usage_seconds_total, pod_memory_working_set_bytes
//                           {namespace,pod}, resource_scrape_error
//   GET /metrics/cadvisor   the cAdvisor families the agent has figures for:
//                           container_cpu_usage_seconds_total (cpu="total"),
//                           container_memory_working_set_bytes, container_memory_rss,
//                           container_start_time_seconds, labelled as the kubelet labels them
//                           (container, id, image, name, namespace, pod); the machine as id="/"
//   GET /metrics            the agent's own: kubelet_running_pods,
//                           kubelet_running_containers{container_state}, process_* of the agent
//
// Contract:
// - Names, types, labels and HELP texts are upstream's (kubelet 1.32: its stability level in
//   brackets before the help of its own metrics; cAdvisor's without), so dashboards, alerts and
//   metrics-server read these endpoints as they read a kubelet's. Families come sorted by name,
//   samples by label values, labels by name; values are written as Go writes them (shortest
//   form, exponent from 1e+06 up); a family without samples is left out.
// - Only what is measured is written (stats.ts): a container's CPU is the cumulative
//   user+system time of its process group, its memory the group's resident set, which stands
//   for the working set as it does for the metrics API; the node's CPU is the machine's non-idle
//   time since boot, its memory MemTotal - MemAvailable. A container the sample missed has no
//   CPU or memory line; pod figures are the sums over its containers that have one. Swap,
//   filesystem and network figures are not written (the agent does not measure them).
// - Usage samples carry the sample's time as their timestamp (ms), as the kubelet stamps them;
//   start times and the scrape error carry none. resource_scrape_error is 1 (and nothing else is
//   written) when the agent could not list its containers. (scrape_error, its name before 1.29,
//   is hidden by a 1.32 kubelet and is not written.)
// - kubelet_running_pods counts the pods with a running container (the process runtime's sandbox
//   is no process of its own); kubelet_running_containers counts the runtime's pod containers by
//   state, `running` always written.
// - Local nodes of `everynode up` share one machine and one process: each reports the machine's
//   usage as its node figures, and the same process_* figures.

import { readdirSync } from 'node:fs';

export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One sample of a family: its labels (any order), its value and an optional timestamp (ms). */
export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: MetricSample[];
}

/** `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it (what client_golang's text format uses). */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // The shortest digits that read back as v, and the decimal exponent of the first one.
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  // Within [1e-4, 1e6) JavaScript writes the same shortest digits without an exponent.
  return String(v);
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The text exposition of `families` (see the contract for the order). */
export function renderFamilies(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of [...families].filter((x) => x.samples.length > 0).sort((a, b) => compareText(a.name, b.name))) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    const rows = f.samples.map((s) => {
      const pairs = Object.entries(s.labels ?? {}).sort(([a], [b]) => compareText(a, b));
      return { s, pairs };
    });
    rows.sort((x, y) => {
      const n = Math.min(x.pairs.length, y.pairs.length);
      for (let i = 0; i < n; i++) {
        const c = compareText(x.pairs[i]![1], y.pairs[i]![1]);
        if (c !== 0) return c;
      }
      return x.pairs.length - y.pairs.length || (x.s.timestampMs ?? 0) - (y.s.timestampMs ?? 0);
    });
    for (const { s, pairs } of rows) {
      const labels = pairs.length > 0 ? `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
      const ts = s.timestampMs !== undefined ? ` ${Math.round(s.timestampMs)}` : '';
      lines.push(`${f.name}${labels} ${formatFloat(s.value)}${ts}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** One container of the agent's runtime as its metrics see it. */
export interface ContainerUsage {
  namespace: string;
  pod: string;
  /** The container's name in its pod. */
  container: string;
  /** The runtime's id as the pod status shows it (`<runtime>://<id>`): cAdvisor's `id` label. */
  id: string;
  /** The runtime's name of the container: cAdvisor's `name` label. */
  runtimeName: string;
  image: string;
  /** When it started (ms since the epoch), when known. */
  startedAt?: number;
  /** Cumulative CPU core-seconds and resident bytes; absent when the sample missed it. */
  cpuSeconds?: number;
  memoryBytes?: number;
}

/** One reading of the node and of its running containers. */
export interface UsageReport {
  /** When the usage figures were sampled (ms since the epoch). */
  timestamp: number;
  node?: { cpuSeconds: number; memoryBytes: number };
  containers: ContainerUsage[];
}

const stable = (help: string): string => `[STABLE] ${help}`;
const alpha = (help: string): string => `[ALPHA] ${help}`;

/**
 * The containers to write, one per namespace/pod/container: when a restarted container's old and
 * new processes are both still listed, the one started last.
 */
function distinctContainers(containers: readonly ContainerUsage[]): ContainerUsage[] {
  const byKey = new Map<string, ContainerUsage>();
  for (const c of containers) {
    const key = `${c.namespace}/${c.pod}/${c.container}`;
    const prev = byKey.get(key);
    if (!prev || (c.startedAt ?? 0) > (prev.startedAt ?? 0)) byKey.set(key, c);
  }
  return [...byKey.values()];
}

/** `GET /metrics/resource`; `report` undefined: the reading failed (resource_scrape_error 1). */
export function resourceMetricsText(report: UsageReport | undefined): string {
  const families: MetricFamily[] = [
    { name: 'node_cpu_usage_seconds_total', help: stable('Cumulative cpu time consumed by the node in core-seconds'), type: 'counter', samples: [] },
    { name: 'node_memory_working_set_bytes', help: stable('Current working set of the node in bytes'), type: 'gauge', samples: [] },
    { name: 'container_cpu_usage_seconds_total', help: stable('Cumulative cpu time consumed by the container in core-seconds'), type: 'counter', samples: [] },
    { name: 'container_memory_working_set_bytes', help: stable('Current working set of the container in bytes'), type: 'gauge', samples: [] },
    { name: 'container_start_time_seconds', help: stable('Start time of the container since unix epoch in seconds'), type: 'gauge', samples: [] },
    { name: 'pod_cpu_usage_seconds_total', help: stable('Cumulative cpu time consumed by the pod in core-seconds'), type: 'counter', samples: [] },
    { name: 'pod_memory_working_set_bytes', help: stable('Current working set of the pod in bytes'), type: 'gauge', samples: [] },
    { name: 'resource_scrape_error', help: stable('1 if there was an error while getting container metrics, 0 otherwise'), type: 'gauge', samples: [{ value: report ? 0 : 1 }] },
  ];
  if (!report) return renderFamilies(families);
  const [nodeCpu, nodeMem, cpu, mem, start, podCpu, podMem] = families as [MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily];
  const at = report.timestamp;
  if (report.node) {
    nodeCpu.samples.push({ value: report.node.cpuSeconds, timestampMs: at });
    nodeMem.samples.push({ value: report.node.memoryBytes, timestampMs: at });
  }
  const pods = new Map<string, { namespace: string; pod: string; cpu?: number; memory?: number }>();
  for (const c of distinctContainers(report.containers)) {
    const labels = { container: c.container, namespace: c.namespace, pod: c.pod };
    if (c.startedAt !== undefined && c.startedAt > 0) start.samples.push({ labels, value: c.startedAt / 1000 });
    const key = `${c.namespace}/${c.pod}`;
    let p = pods.get(key);
    if (!p) pods.set(key, (p = { namespace: c.namespace, pod: c.pod }));
    if (c.cpuSeconds !== undefined) {
      cpu.samples.push({ labels, value: c.cpuSeconds, timestampMs: at });
      p.cpu = (p.cpu ?? 0) + c.cpuSeconds;
    }
    if (c.memoryBytes !== undefined) {
      mem.samples.push({ labels, value: c.memoryBytes, timestampMs: at });
      p.memory = (p.memory ?? 0) + c.memoryBytes;
    }
  }
  for (const p of pods.values()) {
    const labels = { namespace: p.namespace, pod: p.pod };
    if (p.cpu !== undefined) podCpu.samples.push({ labels, value: p.cpu, timestampMs: at });
    if (p.memory !== undefined) podMem.samples.push({ labels, value: p.memory, timestampMs: at });
  }
  return renderFamilies(families);
}

/** `GET /metrics/cadvisor` (see the contract: containers, and the machine as the root `id="/"`). */
export function cadvisorMetricsText(report: UsageReport): string {
  const cpu: MetricFamily = { name: 'container_cpu_usage_seconds_total', help: 'Cumulative cpu time consumed in seconds.', type: 'counter', samples: [] };
  const workingSet: MetricFamily = { name: 'container_memory_working_set_bytes', help: 'Current working set in bytes.', type: 'gauge', samples: [] };
  const rss: MetricFamily = { name: 'container_memory_rss', help: 'Size of RSS in bytes.', type: 'gauge', samples: [] };
  const start: MetricFamily = { name: 'container_start_time_seconds', help: 'Start time of the container since unix epoch in seconds.', type: 'gauge', samples: [] };
  const at = report.timestamp;
  if (report.node) {
    const root = { container: '', id: '/', image: '', name: '', namespace: '', pod: '' };
    cpu.samples.push({ labels: { ...root, cpu: 'total' }, value: report.node.cpuSeconds, timestampMs: at });
    workingSet.samples.push({ labels: root, value: report.node.memoryBytes, timestampMs: at });
  }
  for (const c of report.containers) {
    const labels = { container: c.container, id: c.id, image: c.image, name: c.runtimeName, namespace: c.namespace, pod: c.pod };
    if (c.cpuSeconds !== undefined) cpu.samples.push({ labels: { ...labels, cpu: 'total' }, value: c.cpuSeconds, timestampMs: at });
    if (c.memoryBytes !== undefined) {
      workingSet.samples.push({ labels, value: c.memoryBytes, timestampMs: at });
      rss.samples.push({ labels, value: c.memoryBytes, timestampMs: at });
    }
    // cAdvisor writes whole seconds.
    if (c.startedAt !== undefined && c.startedAt > 0) start.samples.push({ labels, value: Math.floor(c.startedAt / 1000) });
  }
  return renderFamilies([cpu, workingSet, rss, start]);
}

/** What `GET /metrics` reports. */
export interface AgentMetrics {
  /** Pods with at least one running container. */
  runningPods: number;
  /** The runtime's pod containers by state (created, running, exited, unknown). */
  containersByState: Record<string, number>;
  process?: ProcessMetrics;
}

export interface ProcessMetrics {
  cpuSeconds: number;
  residentBytes: number;
  startTimeSeconds: number;
  /** Absent where /proc/self/fd cannot be read. */
  openFds?: number;
}

/** This process's figures (the agent's). */
export function processMetrics(): ProcessMetrics {
  const cpu = process.cpuUsage();
  let openFds: number | undefined;
  try {
    openFds = readdirSync('/proc/self/fd').length;
  } catch {
    openFds = undefined;
  }
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    residentBytes: process.memoryUsage.rss(),
    startTimeSeconds: Date.now() / 1000 - process.uptime(),
    ...(openFds !== undefined ? { openFds } : {}),
  };
}

/** `GET /metrics`. `running` is always written (0 without containers), other states when present. */
export function agentMetricsText(m: AgentMetrics): string {
  const states = { running: 0, ...m.containersByState };
  const families: MetricFamily[] = [
    { name: 'kubelet_running_pods', help: alpha('Number of pods that have a running pod sandbox'), type: 'gauge', samples: [{ value: m.runningPods }] },
    {
      name: 'kubelet_running_containers',
      help: alpha('Number of containers currently running'),
      type: 'gauge',
      samples: Object.entries(states)
        .filter(([state, n]) => state === 'running' || n > 0)
        .map(([state, n]) => ({ labels: { container_state: state }, value: n })),
    },
  ];
  if (m.process) {
    const p = m.process;
    families.push(
      { name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', type: 'counter', samples: [{ value: p.cpuSeconds }] },
      { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', type: 'gauge', samples: [{ value: p.residentBytes }] },
      { name: 'process_start_time_seconds', help: alpha('Start time of the process since unix epoch in seconds.'), type: 'gauge', samples: [{ value: p.startTimeSeconds }] },
      { name: 'process_open_fds', help: 'Number of open file descriptors.', type: 'gauge', samples: p.openFds !== undefined ? [{ value: p.openFds }] : [] },
    );
  }
  return renderFamilies(families);
}
