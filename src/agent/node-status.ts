// The Node object an agent registers and the status it reports (the kubelet's
// initialNode + setters), as pure functions of the agent's configuration and the machine.
//
// Contracts:
// - Labels the agent manages: the configured ones plus `kubernetes.io/hostname` (= node name),
//   `kubernetes.io/os`, `kubernetes.io/arch` and, as the kubelet still sets them (initialNode),
//   the deprecated `beta.kubernetes.io/os` and `beta.kubernetes.io/arch` that older manifests
//   select on. Re-registration merges them into the existing node's labels (the kubelet's
//   updateDefaultLabels covers the same five); other labels, taints and spec.unschedulable set by
//   users are kept. Taints
//   given at registration are applied only when the node is created (register-with-taints).
// - Conditions: MemoryPressure, PIDPressure (False), DiskPressure (True below the kubelet's
//   default eviction thresholds on the agent's data dir, else False) and Ready (True), each with
//   upstream's reason and message. lastTransitionTime moves only when the status changes;
//   lastHeartbeatTime is the time of the report.
// - Capacity: cpu, memory, pods and, where the data dir's filesystem is known, ephemeral-storage
//   (its size). Allocatable is capacity less the kubelet's default hard eviction thresholds:
//   memory less 100Mi, ephemeral-storage less 10% of that filesystem.

import { readFileSync } from 'node:fs';
import { arch as osArch, availableParallelism, hostname as osHostname, release, totalmem } from 'node:os';
import type { Node, NodeCondition, NodeStatus, Taint } from '../api/types.js';
import { isQualifiedName, isValidLabelValue } from '../api/validation/names.js';
import { formatQuantity, parseQuantity, subtractQuantity } from '../api/validation/quantity.js';
import { agentKubeletVersion } from './version.js';

/** The kubelet's default memory.available hard eviction threshold, reserved from allocatable. */
const MEMORY_EVICTION_RESERVATION = parseQuantity('100Mi')!;

export const labelHostname = 'kubernetes.io/hostname';
export const labelOS = 'kubernetes.io/os';
export const labelArch = 'kubernetes.io/arch';
/** The beta OS/arch labels (kubeletapis.LabelOS/LabelArch), set beside the GA ones. */
export const labelOSBeta = 'beta.kubernetes.io/os';
export const labelArchBeta = 'beta.kubernetes.io/arch';
/** The version the agent reports as kubeletVersion (version.ts: also the probes' User-Agent). */
export { agentKubeletVersion };
export const defaultMaxPods = 110;

export function goArch(a: string = osArch()): string {
  switch (a) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    case 'ppc64':
      return 'ppc64le';
    default:
      return a;
  }
}

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function osImage(): string {
  const text = readTrimmed('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? `${process.platform}`;
}

export interface MachineInfo {
  cpu: string;
  memory: string;
  nodeInfo: Record<string, string>;
}

/** What the machine offers; `runtimeType` names the container runtime (`process`). */
export function machineInfo(runtimeType: string): MachineInfo {
  const memKi = Math.floor(totalmem() / 1024);
  return {
    cpu: String(availableParallelism()),
    memory: `${memKi}Ki`,
    nodeInfo: {
      machineID: readTrimmed('/etc/machine-id'),
      systemUUID: readTrimmed('/sys/class/dmi/id/product_uuid') || readTrimmed('/etc/machine-id'),
      bootID: readTrimmed('/proc/sys/kernel/random/boot_id'),
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: `${runtimeType}://${process.version.replace(/^v/, '')}`,
      kubeletVersion: agentKubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: process.platform,
      architecture: goArch(),
    },
  };
}

export interface NodeConfig {
  nodeName: string;
  nodeIP: string;
  labels: Record<string, string>;
  taints: Taint[];
  port: number;
  machine: MachineInfo;
  /** Capacity overrides (tests): e.g. `{cpu: '1', memory: '1Gi'}`. */
  capacity?: Record<string, string>;
  maxPods?: number;
  /** The agent's data dir is short of space (see diskPressure); default false. */
  diskPressure?: boolean;
  /**
   * Size in bytes of the filesystem holding the agent's data dir (where pods' logs and records
   * live): the node's `ephemeral-storage`, as the kubelet reports its root dir's filesystem;
   * absent: not reported.
   */
  ephemeralStorageBytes?: number;
}

/**
 * The kubelet's default hard eviction threshold for the node's filesystem (nodefs.available <
 * 10%), a float32 as the kubelet holds it, so allocatable comes out to its byte.
 */
const NODEFS_EVICTION_FRACTION = Math.fround(0.1);

/**
 * Bytes as a binary-SI quantity the way the API writes one: with the largest of Ki, Mi, Gi,
 * Ti, Pi, Ei that divides it exactly, else a plain integer.
 */
export function binarySIBytes(bytes: number): string {
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let n = Math.floor(bytes);
  let i = 0;
  while (n !== 0 && n % 1024 === 0 && i < suffixes.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n}${suffixes[i]}`;
}

/**
 * The kubelet's default hard eviction thresholds for the node's filesystem: less than 10% of
 * its space, or 5% of its inodes, available. `fs` is statfs of the agent's data dir (where pods'
 * logs and records live); undefined (no statfs) is no pressure.
 */
export function diskPressure(fs: { blocks: number; bavail: number; files: number; ffree: number } | undefined): boolean {
  if (!fs) return false;
  const lowSpace = fs.blocks > 0 && fs.bavail / fs.blocks < 0.1;
  const lowInodes = fs.files > 0 && fs.ffree / fs.files < 0.05;
  return lowSpace || lowInodes;
}

export function managedLabels(cfg: NodeConfig): Record<string, string> {
  return {
    ...cfg.labels,
    [labelHostname]: cfg.nodeName,
    [labelOS]: process.platform,
    [labelArch]: goArch(),
    [labelOSBeta]: process.platform,
    [labelArchBeta]: goArch(),
  };
}

/** The Node to create when none exists. */
export function initialNode(cfg: NodeConfig): Node {
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: cfg.nodeName,
      labels: managedLabels(cfg),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
  };
  if (cfg.taints.length > 0) node.spec!.taints = cfg.taints.map((t) => ({ ...t }));
  return node;
}

const conditionTexts: Record<string, { status: NodeCondition['status']; reason: string; message: string }> = {
  MemoryPressure: { status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  DiskPressure: { status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  PIDPressure: { status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  Ready: { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
};
const diskPressureText = { status: 'True' as const, reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' };

/**
 * The status to report, given the current one: conditions keep their lastTransitionTime when
 * status/reason are unchanged; every heartbeat time is `now`.
 */
export function desiredNodeStatus(cfg: NodeConfig, current: NodeStatus | undefined, now: string): NodeStatus {
  const capacity: Record<string, string> = {
    cpu: cfg.machine.cpu,
    memory: cfg.machine.memory,
    pods: String(cfg.maxPods ?? defaultMaxPods),
    ...(cfg.ephemeralStorageBytes !== undefined ? { 'ephemeral-storage': binarySIBytes(cfg.ephemeralStorageBytes) } : {}),
    ...(cfg.capacity ?? {}),
  };
  // As the kubelet: allocatable is capacity less the hard eviction thresholds, by default
  // memory.available < 100Mi and nodefs.available < 10% (hardEvictionReservation).
  const allocatable = { ...capacity };
  const memory = parseQuantity(capacity['memory']);
  if (memory) {
    const left = subtractQuantity(memory, MEMORY_EVICTION_RESERVATION);
    allocatable['memory'] = left.mantissa < 0n ? '0' : formatQuantity(left);
  }
  if (cfg.ephemeralStorageBytes !== undefined && cfg.capacity?.['ephemeral-storage'] === undefined) {
    const total = Math.floor(cfg.ephemeralStorageBytes);
    allocatable['ephemeral-storage'] = binarySIBytes(total - Math.floor(total * NODEFS_EVICTION_FRACTION));
  }
  const conditions: NodeCondition[] = [];
  for (const [type, normal] of Object.entries(conditionTexts)) {
    const want = type === 'DiskPressure' && cfg.diskPressure ? diskPressureText : normal;
    const prev = current?.conditions?.find((c) => c.type === type);
    const same = prev !== undefined && prev.status === want.status && prev.reason === want.reason;
    conditions.push({
      type,
      status: want.status,
      lastHeartbeatTime: now,
      lastTransitionTime: same && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      reason: want.reason,
      message: want.message,
    });
  }
  return {
    ...(current ?? {}),
    capacity,
    allocatable,
    conditions,
    addresses: [
      { type: 'InternalIP', address: cfg.nodeIP },
      { type: 'Hostname', address: cfg.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.port } },
    nodeInfo: { ...cfg.machine.nodeInfo },
  };
}

/** Equality ignoring heartbeat times: a status that only renews heartbeats need not be written. */
export function nodeStatusEqualIgnoringHeartbeat(a: NodeStatus | undefined, b: NodeStatus | undefined): boolean {
  const strip = (s: NodeStatus | undefined): unknown =>
    s && { ...s, conditions: (s.conditions ?? []).map((c) => ({ ...c, lastHeartbeatTime: undefined })) };
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/**
 * Refuses a key or value the API server would refuse on the Node (a qualified name; a label
 * value), so a bad flag stops the agent at start with the reason instead of a registration
 * retried for ever.
 */
function checkKeyValue(what: 'label' | 'taint', item: string, key: string, value: string | undefined): void {
  const bad = [...isQualifiedName(key).map((m) => `key: ${m}`), ...(value === undefined ? [] : isValidLabelValue(value).map((m) => `value: ${m}`))];
  if (bad.length > 0) throw new Error(`invalid ${what} ${JSON.stringify(item)}: ${bad.join('; ')}`);
}

/** `k=v:Effect` / `k:Effect` / `k=v` (NoSchedule) items, comma separated. */
export function parseTaints(text: string): Taint[] {
  const out: Taint[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = item.lastIndexOf(':');
    const kv = colon < 0 ? item : item.slice(0, colon);
    const effect = colon < 0 ? 'NoSchedule' : item.slice(colon + 1);
    if (effect !== 'NoSchedule' && effect !== 'PreferNoSchedule' && effect !== 'NoExecute') {
      throw new Error(`invalid taint ${JSON.stringify(item)}: effect must be NoSchedule, PreferNoSchedule or NoExecute`);
    }
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (!key) throw new Error(`invalid taint ${JSON.stringify(item)}: empty key`);
    const t: Taint = { key, effect };
    if (eq >= 0) t.value = kv.slice(eq + 1);
    checkKeyValue('taint', item, key, t.value);
    out.push(t);
  }
  return out;
}

/** `k=v,k2=v2` → record. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`invalid label ${JSON.stringify(item)}: want key=value`);
    checkKeyValue('label', item, item.slice(0, eq), item.slice(eq + 1));
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** The machine's hostname, lower-cased: the default node name. */
export function defaultNodeName(): string {
  return osHostname().toLowerCase();
}
