// A container's environment and command line as the kubelet computes them, above any runtime:
// - `envFrom` sources first, in order (ConfigMap data, Secret data decoded; each key with the
//   source's prefix; keys that are no environment variable name are skipped and reported), then
//   `env` entries in order; a `value` may reference earlier entries (and nothing later) with
//   `$(NAME)`; `valueFrom` values are taken literally.
// - ConfigMaps and Secrets are read from `EnvSources` (the agent fetches what a container names
//   just before starting it, as the kubelet does; values are fixed for that container's life). A
//   missing object or key stops the container (CreateContainerConfigError) unless the reference
//   is `optional`, in which case the entry is left out.
// - downward API: `fieldRef` (pod metadata, node and IPs) and `resourceFieldRef` (limits and
//   requests; an unset limit is the node's allocatable, as the kubelet does).
// - Service links (upstream getServiceEnvVarMap and envvars.FromServices): for every Service of
//   the pod's namespace (when `enableServiceLinks` is not false) and the `kubernetes` Service of
//   `default` (always), with a cluster IP, `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`
//   (`_<PORTNAME>` for named ports) and the Docker link variables (`<NAME>_PORT`,
//   `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`), NAME upper-cased with '-' as '_'. They
//   sit below `podEnvironment` (the agent's own, e.g. the service account's API server address),
//   which sits below `envFrom` and `env`; all of them may be referenced with `$(NAME)`.
// - `command` and `args` are expanded against the final environment.
// Expansion rules (upstream third_party/forked/golang/expansion): `$(NAME)` is replaced when NAME
// is defined and kept verbatim otherwise; `$$` is an escaped `$`; any other `$` is literal.

import type { ConfigMap, Container, EnvVar, Pod, Secret } from '../api/types.js';
import { parseQuantity, type Quantity } from '../api/validation/quantity.js';
import type { KeyValue } from './runtime/interface.js';

/** What the downward API reads from outside the pod object. */
export interface PodEnvContext {
  nodeName?: string;
  hostIP?: string;
  podIP?: string;
  /** Node allocatable, used for unset limits: cpu, memory, ephemeral-storage. */
  allocatable?: Record<string, string | number>;
  /** The ConfigMaps and Secrets the container names; absent ones count as not found. */
  sources?: EnvSources;
  /** The Services the kubelet knows (all namespaces); absent: no service links. */
  services?: readonly EnvService[];
  /** The agent's environment for the pod, above the service links and below envFrom/env. */
  podEnvironment?: readonly KeyValue[];
}

/** The parts of a Service its environment variables are made of. */
export interface EnvService {
  metadata: { name?: string; namespace?: string };
  spec?: { clusterIP?: string; ports?: { name?: string; port?: number; protocol?: string }[] };
}

/** Services of `default` whose variables every pod gets, enableServiceLinks or not (upstream masterServices). */
const masterServices = new Set(['kubernetes']);

function serviceVarName(name: string): string {
  return name.replaceAll('-', '_').toUpperCase();
}

/**
 * The service link variables of a pod in `namespace` (see the header): in the order upstream's
 * FromServices writes them, services sorted by name.
 */
export function serviceEnvironment(services: readonly EnvService[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const byName = new Map<string, EnvService>();
  for (const svc of services) {
    const ip = svc.spec?.clusterIP ?? '';
    const name = svc.metadata.name ?? '';
    if (ip === '' || ip === 'None' || name === '' || !svc.spec?.ports?.length) continue;
    if (svc.metadata.namespace === 'default' && masterServices.has(name)) {
      if (!byName.has(name) || byName.get(name)!.metadata.namespace !== 'default') byName.set(name, svc);
    } else if (svc.metadata.namespace === namespace && enableServiceLinks) {
      if (!(byName.get(name)?.metadata.namespace === 'default' && masterServices.has(name))) byName.set(name, svc);
    }
  }
  const env = new Map<string, string>();
  for (const name of [...byName.keys()].sort()) {
    const svc = byName.get(name)!;
    const ip = svc.spec!.clusterIP!;
    const ports = svc.spec!.ports!;
    const prefix = serviceVarName(name);
    env.set(`${prefix}_SERVICE_HOST`, ip);
    env.set(`${prefix}_SERVICE_PORT`, String(ports[0]!.port ?? 0));
    for (const p of ports) if (p.name) env.set(`${prefix}_SERVICE_PORT_${serviceVarName(p.name)}`, String(p.port ?? 0));
    const hostPort = (port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
    for (const [i, p] of ports.entries()) {
      const proto = (p.protocol || 'TCP').toLowerCase();
      const port = p.port ?? 0;
      if (i === 0) env.set(`${prefix}_PORT`, `${proto}://${hostPort(port)}`);
      const portPrefix = `${prefix}_PORT_${port}_${proto.toUpperCase()}`;
      env.set(portPrefix, `${proto}://${hostPort(port)}`);
      env.set(`${portPrefix}_PROTO`, proto);
      env.set(`${portPrefix}_PORT`, String(port));
      env.set(`${portPrefix}_ADDR`, ip);
    }
  }
  return env;
}

/** ConfigMaps and Secrets of the pod's namespace by name; null: the object does not exist. */
export interface EnvSources {
  configMaps: ReadonlyMap<string, ConfigMap | null>;
  secrets: ReadonlyMap<string, Secret | null>;
}

/** The ConfigMaps and Secrets a container's `env` and `envFrom` name (what to fetch). */
export function envSourceNames(c: Container): { configMaps: string[]; secrets: string[] } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const f of c.envFrom ?? []) {
    if (f.configMapRef) configMaps.add(f.configMapRef.name ?? '');
    if (f.secretRef) secrets.add(f.secretRef.name ?? '');
  }
  for (const v of c.env ?? []) {
    if (v.value) continue;
    if (v.valueFrom?.configMapKeyRef) configMaps.add(v.valueFrom.configMapKeyRef.name ?? '');
    if (v.valueFrom?.secretKeyRef) secrets.add(v.valueFrom.secretKeyRef.name ?? '');
  }
  return { configMaps: [...configMaps], secrets: [...secrets] };
}

/** A Secret's value as the process sees it (Go's string(bytes)). */
function secretValue(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
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
  // Huge pages (`limits.hugepages-2Mi`) too, as upstream's ExtractContainerResourceValue: 0 when
  // unset (node allocatable stands in for cpu, memory and ephemeral-storage limits only).
  const hugePages = name?.startsWith('hugepages-') ?? false;
  if ((kind !== 'limits' && kind !== 'requests') || !name || !(hugePages || ['cpu', 'memory', 'ephemeral-storage'].includes(name))) {
    throw new ContainerConfigError(`unsupported resourceFieldRef resource ${JSON.stringify(resource)}`);
  }
  // No divisor, or zero (what the API serves for none): the default unit, 1.
  const given = parseQuantity(divisor ?? '1');
  if (!given) throw new ContainerConfigError(`invalid resourceFieldRef divisor ${JSON.stringify(divisor)}`);
  const div = given.mantissa === 0n ? parseQuantity('1')! : given;
  let raw: string | number | undefined = container.resources?.[kind]?.[name];
  if (raw === undefined && kind === 'limits' && !hugePages) raw = ctx.allocatable?.[name];
  if (raw === undefined) raw = 0;
  const q = parseQuantity(raw);
  if (!q) throw new ContainerConfigError(`invalid quantity ${JSON.stringify(raw)} for ${resource}`);
  return divideCeil(q, div);
}

/** A `valueFrom` value; undefined when an optional ConfigMap/Secret reference finds nothing. */
function valueFrom(pod: Pod, container: Container, v: EnvVar, ctx: PodEnvContext): string | undefined {
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
    const { name = '', key, optional } = from.configMapKeyRef;
    const cm = ctx.sources?.configMaps.get(name) ?? null;
    if (!cm) {
      if (optional) return undefined;
      throw new ContainerConfigError(`configmap ${JSON.stringify(name)} not found`);
    }
    const value = cm.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${pod.metadata.namespace ?? ''}/${name}`);
    }
    return value;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const secret = ctx.sources?.secrets.get(name) ?? null;
    if (!secret) {
      if (optional) return undefined;
      throw new ContainerConfigError(`secret ${JSON.stringify(name)} not found`);
    }
    const value = secret.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${key} in Secret ${pod.metadata.namespace ?? ''}/${name}`);
    }
    return secretValue(value);
  }
  throw new ContainerConfigError(`env var ${JSON.stringify(v.name)} has an empty valueFrom`);
}

/**
 * The variables of one envFrom source into `env`: every key, with the prefix (the 1.32 kubelet
 * takes any key the API accepted, RelaxedEnvironmentVariableValidation; it no longer skips keys
 * that are no C identifier).
 */
function addEnvFrom(f: NonNullable<Container['envFrom']>[number], env: Map<string, string>, ctx: PodEnvContext): void {
  const isConfigMap = !!f.configMapRef;
  const ref = f.configMapRef ?? f.secretRef;
  if (!ref) return;
  const name = ref.name ?? '';
  const obj = isConfigMap ? (ctx.sources?.configMaps.get(name) ?? null) : (ctx.sources?.secrets.get(name) ?? null);
  if (!obj) {
    if (ref.optional) return;
    throw new ContainerConfigError(`${isConfigMap ? 'configmap' : 'secret'} ${JSON.stringify(name)} not found`);
  }
  const data = obj.data ?? {};
  for (const key of Object.keys(data)) env.set((f.prefix ?? '') + key, isConfigMap ? data[key]! : secretValue(data[key]!));
}

/**
 * The container's environment, in order with duplicates resolved (a later entry replaces an
 * earlier one in place): the service links and the agent's `podEnvironment` that the container
 * does not set itself, then `envFrom` sources, then `env`. Throws ContainerConfigError when a
 * reference cannot be resolved.
 */
export function makeEnvironment(pod: Pod, container: Container, ctx: PodEnvContext): KeyValue[] {
  const base = ctx.services ? serviceEnvironment(ctx.services, pod.metadata.namespace ?? '', pod.spec.enableServiceLinks !== false) : new Map<string, string>();
  // The agent's own address of the API server replaces every `kubernetes` link variable, not
  // only those of the same port (a server on 6443 behind the Service's 443).
  if (ctx.podEnvironment?.some((kv) => kv.name === 'KUBERNETES_SERVICE_HOST')) {
    for (const name of [...base.keys()]) if (name.startsWith('KUBERNETES_PORT')) base.delete(name);
  }
  for (const kv of ctx.podEnvironment ?? []) base.set(kv.name, kv.value);
  const env = new Map<string, string>();
  const mapping = (name: string): string | undefined => env.get(name) ?? base.get(name);
  for (const f of container.envFrom ?? []) addEnvFrom(f, env, ctx);
  for (const v of container.env ?? []) {
    if (v.value) {
      env.set(v.name, expandVars(v.value, mapping));
    } else if (v.valueFrom) {
      const value = valueFrom(pod, container, v, ctx);
      if (value !== undefined) env.set(v.name, value);
    } else {
      env.set(v.name, '');
    }
  }
  return [...[...base].filter(([name]) => !env.has(name)), ...env].map(([name, value]) => ({ name, value }));
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
 * An exec probe's command with `$(VAR)` expanded as the kubelet's prober does
 * (ExpandContainerCommandOnlyStatic): from the container's `env` entries as written, so a
 * `value` gives its text and a `valueFrom` entry nothing; envFrom and undefined names stay as
 * written; `$$` is a literal `$`.
 */
export function expandProbeCommand(command: readonly string[], container: Container): string[] {
  const written = new Map<string, string>();
  for (const e of container.env ?? []) written.set(e.name, e.value ?? '');
  return command.map((a) => expandVars(a, (n) => written.get(n)));
}

/**
 * The hostname a pod's containers get (their HOSTNAME), as the kubelet and CRI runtimes set it:
 * with hostNetwork, the machine's (`nodeHostname`); otherwise `spec.hostname` when set, else the
 * pod's name, cut to 63 characters without a trailing '-' or '.' (upstream's
 * truncatePodHostnameIfNeeded); with setHostnameAsFQDN and a subdomain, that name followed by
 * `.<subdomain>.<namespace>.svc.<clusterDomain>` (upstream's GetNodenameForKernel), which must
 * fit the kernel's 64 characters: `error` (the sandbox is refused) when it does not. A
 * container's own `env` entry named HOSTNAME still wins.
 */
export function podHostname(pod: Pod, nodeHostname: string, clusterDomain = 'cluster.local'): { hostname: string } | { error: string } {
  if (pod.spec.hostNetwork) return { hostname: nodeHostname };
  const explicit = pod.spec['hostname'];
  let name = typeof explicit === 'string' && explicit !== '' ? explicit : (pod.metadata.name ?? '');
  if (name.length > 63) name = name.slice(0, 63).replace(/[-.]+$/, '');
  const subdomain = pod.spec['subdomain'];
  if (pod.spec['setHostnameAsFQDN'] !== true || typeof subdomain !== 'string' || subdomain === '' || clusterDomain === '') return { hostname: name };
  const fqdn = `${name}.${subdomain}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}`;
  if (fqdn.length > 64) return { error: `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (64 characters is the max, ${fqdn.length} characters requested)` };
  return { hostname: fqdn };
}
