// A container's environment and command line as the kubelet computes them, above any runtime:
// - `env` entries in order; a `value` may reference earlier entries (and nothing later) with
//   `$(NAME)`; `valueFrom` values are taken literally.
// - downward API: `fieldRef` (pod metadata, node and IPs) and `resourceFieldRef` (limits and
//   requests; an unset limit is the node's allocatable, as the kubelet does).
// - `command` and `args` are expanded against the final environment.
// Expansion rules (upstream third_party/forked/golang/expansion): `$(NAME)` is replaced when NAME
// is defined and kept verbatim otherwise; `$$` is an escaped `$`; any other `$` is literal.

import type { Container, EnvVar, Pod } from '../api/types.js';
import { parseQuantity, type Quantity } from '../api/validation/quantity.js';
import type { KeyValue } from './runtime/interface.js';

/** What the downward API reads from outside the pod object. */
export interface PodEnvContext {
  nodeName?: string;
  hostIP?: string;
  podIP?: string;
  /** Node allocatable, used for unset limits: cpu, memory, ephemeral-storage. */
  allocatable?: Record<string, string | number>;
}

/** A container whose environment cannot be built; the kubelet's CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

export function expandVars(input: string, mapping: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
        continue;
      }
      const name = input.slice(i + 2, close);
      const v = mapping(name);
      out += v === undefined ? `$(${name})` : v;
      i = close + 1;
    } else {
      out += '$' + next;
      i += 2;
    }
  }
  return out;
}

const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.*)'\]$/;

function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** The value of a downward-API field path, as the kubelet resolves it for env vars. */
export function podFieldValue(pod: Pod, fieldPath: string, ctx: PodEnvContext): string {
  const m = labelOrAnnotation.exec(fieldPath);
  if (m) {
    const map = m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[m[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? ctx.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP ?? '';
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath ${JSON.stringify(fieldPath)}`);
  }
}

function ratio(q: Quantity): { num: bigint; den: bigint } {
  return q.exp10 >= 0 ? { num: q.mantissa * 10n ** BigInt(q.exp10), den: 1n } : { num: q.mantissa, den: 10n ** BigInt(-q.exp10) };
}

/** ceil(value / divisor) as an integer string, as the downward API prints resources. */
function divideCeil(value: Quantity, divisor: Quantity): string {
  const a = ratio(value);
  const b = ratio(divisor);
  const num = a.num * b.den;
  const den = a.den * b.num;
  if (den === 0n) throw new ContainerConfigError('resourceFieldRef divisor must not be zero');
  let q = num / den;
  if (num % den !== 0n && num > 0n === den > 0n) q += 1n;
  return q.toString();
}

/** The value of a resourceFieldRef for `container` (limits.*, requests.*). */
export function containerResourceValue(
  container: Container,
  resource: string,
  divisor: string | number | undefined,
  ctx: PodEnvContext,
): string {
  const [kind, name] = resource.split('.', 2) as [string, string | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || !name || !['cpu', 'memory', 'ephemeral-storage'].includes(name)) {
    throw new ContainerConfigError(`unsupported resourceFieldRef resource ${JSON.stringify(resource)}`);
  }
  const div = parseQuantity(divisor ?? '1');
  if (!div) throw new ContainerConfigError(`invalid resourceFieldRef divisor ${JSON.stringify(divisor)}`);
  let raw: string | number | undefined = container.resources?.[kind]?.[name];
  if (raw === undefined && kind === 'limits') raw = ctx.allocatable?.[name];
  if (raw === undefined) raw = 0;
  const q = parseQuantity(raw);
  if (!q) throw new ContainerConfigError(`invalid quantity ${JSON.stringify(raw)} for ${resource}`);
  return divideCeil(q, div);
}

function valueFrom(pod: Pod, container: Container, v: EnvVar, ctx: PodEnvContext): string {
  const from = v.valueFrom!;
  if (from.fieldRef) return podFieldValue(pod, from.fieldRef.fieldPath, ctx);
  if (from.resourceFieldRef) {
    const ref = from.resourceFieldRef;
    let target = container;
    if (ref.containerName) {
      const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
      const found = all.find((c) => c.name === ref.containerName);
      if (!found) throw new ContainerConfigError(`resourceFieldRef names unknown container ${JSON.stringify(ref.containerName)}`);
      target = found;
    }
    return containerResourceValue(target, ref.resource, ref.divisor, ctx);
  }
  if (from.configMapKeyRef) {
    if (from.configMapKeyRef.optional) return '';
    throw new ContainerConfigError(`configmap ${JSON.stringify(from.configMapKeyRef.name ?? '')} not found`);
  }
  if (from.secretKeyRef) {
    if (from.secretKeyRef.optional) return '';
    throw new ContainerConfigError(`secret ${JSON.stringify(from.secretKeyRef.name ?? '')} not found`);
  }
  throw new ContainerConfigError(`env var ${JSON.stringify(v.name)} has an empty valueFrom`);
}

/**
 * The container's environment, in order with duplicates resolved (a later entry replaces an
 * earlier one in place). Throws ContainerConfigError when a reference cannot be resolved.
 * `optional` configMap/secret references resolve to nothing until the agent reads them via the API.
 */
export function makeEnvironment(pod: Pod, container: Container, ctx: PodEnvContext): KeyValue[] {
  const env = new Map<string, string>();
  const mapping = (name: string): string | undefined => env.get(name);
  for (const v of container.env ?? []) {
    if (v.valueFrom) {
      const from = v.valueFrom;
      if ((from.configMapKeyRef?.optional || from.secretKeyRef?.optional) && !from.fieldRef && !from.resourceFieldRef) continue;
      env.set(v.name, valueFrom(pod, container, v, ctx));
    } else {
      env.set(v.name, expandVars(v.value ?? '', mapping));
    }
  }
  return [...env].map(([name, value]) => ({ name, value }));
}

/** `command` and `args` with `$(VAR)` expanded against the container's final environment. */
export function expandCommandAndArgs(container: Container, env: KeyValue[]): { command: string[]; args: string[] } {
  const map = new Map(env.map((kv) => [kv.name, kv.value]));
  const mapping = (name: string): string | undefined => map.get(name);
  return {
    command: (container.command ?? []).map((s) => expandVars(s, mapping)),
    args: (container.args ?? []).map((s) => expandVars(s, mapping)),
  };
}

/**
 * The hostname a pod's containers get (their HOSTNAME), as the kubelet and CRI runtimes set it:
 * with hostNetwork, the machine's (`nodeHostname`); otherwise `spec.hostname` when set, else the
 * pod's name, cut to 63 characters without a trailing '-' or '.' (upstream's
 * truncatePodHostnameIfNeeded). A container's own `env` entry named HOSTNAME still wins.
 */
export function podHostname(pod: Pod, nodeHostname: string): string {
  if (pod.spec.hostNetwork) return nodeHostname;
  const explicit = pod.spec['hostname'];
  const name = typeof explicit === 'string' && explicit !== '' ? explicit : (pod.metadata.name ?? '');
  if (name.length <= 63) return name;
  return name.slice(0, 63).replace(/[-.]+$/, '');
}
