// The deprecated seccomp and AppArmor annotations of pods and pod templates, validated as
// upstream still validates them (their warnings are in pod-warnings.ts).

import { fe, type FieldError } from '../errors.js';
import { arr, obj, str, type Obj } from './util.js';

const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_CONTAINER = 'container.apparmor.security.beta.kubernetes.io/';

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
