// The deprecated seccomp and AppArmor annotations of pods and pod templates: validated as
// upstream still validates them, and answered with upstream's deprecation warnings. Also the
// warnings for node selectors on deprecated node labels.

import { fe, type FieldError } from '../errors.js';
import { arr, obj, str, type Obj } from './util.js';

const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_CONTAINER = 'container.apparmor.security.beta.kubernetes.io/';

/** Deprecated node labels and their replacements, with the version of the deprecation. */
const deprecatedNodeLabels: ReadonlyMap<string, [since: string, replacement: string]> = new Map([
  ['beta.kubernetes.io/arch', ['v1.14', 'kubernetes.io/arch']],
  ['beta.kubernetes.io/os', ['v1.14', 'kubernetes.io/os']],
  ['failure-domain.beta.kubernetes.io/region', ['v1.17', 'topology.kubernetes.io/region']],
  ['failure-domain.beta.kubernetes.io/zone', ['v1.17', 'topology.kubernetes.io/zone']],
  ['beta.kubernetes.io/instance-type', ['v1.17', 'node.kubernetes.io/instance-type']],
]);

function containerNames(spec: Obj): Set<string> {
  const names = new Set<string>();
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) for (const c of arr(spec[list])) {
    const n = str(obj(c)?.name);
    if (n) names.add(n);
  }
  return names;
}

function validSeccomp(p: string): boolean {
  return p === 'runtime/default' || p === 'docker/default' || p === 'unconfined' || (p.startsWith('localhost/') && p.length > 'localhost/'.length && !p.split('/').includes('..'));
}

function validAppArmor(p: string): boolean {
  return p === 'runtime/default' || p === 'unconfined' || (p.startsWith('localhost/') && p.length > 'localhost/'.length);
}

/** Upstream's ValidateSeccompPodAnnotations and ValidateAppArmorPodAnnotations; `path` is the metadata's. */
export function validatePodAnnotations(metadata: unknown, specv: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const annotations = obj(obj(metadata)?.annotations) ?? {};
  const spec = obj(specv) ?? {};
  let names: Set<string> | undefined;
  for (const [k, v] of Object.entries(annotations)) {
    const at = `${path}.annotations[${k}]`;
    const value = typeof v === 'string' ? v : '';
    if (k === SECCOMP_POD || k.startsWith(SECCOMP_CONTAINER)) {
      if (!validSeccomp(value)) errs.push(fe.invalid(at, value, 'must be a valid seccomp profile'));
    } else if (k.startsWith(APPARMOR_CONTAINER)) {
      const container = k.slice(APPARMOR_CONTAINER.length);
      names ??= containerNames(spec);
      if (!names.has(container)) errs.push(fe.invalid(at, container, 'container not found'));
      else if (!validAppArmor(value)) errs.push(fe.invalid(at, value, `invalid AppArmor profile name: ${JSON.stringify(value)}`));
    }
  }
  return errs;
}

/** Upstream's warnings for a pod's or template's metadata and spec (`metaPath`, `specPath`). */
export function podWarnings(metadata: unknown, specv: unknown, metaPath: string, specPath: string): string[] {
  const warnings: string[] = [];
  const annotations = obj(obj(metadata)?.annotations) ?? {};
  for (const k of Object.keys(annotations)) {
    if (k === SECCOMP_POD || k.startsWith(SECCOMP_CONTAINER)) warnings.push(`${metaPath}.annotations[${k}]: non-functional in v1.27+; use the "seccompProfile" field instead`);
    else if (k.startsWith(APPARMOR_CONTAINER)) warnings.push(`${metaPath}.annotations[${k}]: deprecated since v1.30; use the "appArmorProfile" field instead`);
  }
  const nodeSelector = obj(obj(specv)?.nodeSelector) ?? {};
  for (const k of Object.keys(nodeSelector)) {
    const d = deprecatedNodeLabels.get(k);
    if (d) warnings.push(`${specPath}.nodeSelector[${k}]: deprecated since ${d[0]}; use "${d[1]}" instead`);
  }
  return warnings;
}
