// PodSpec, PodTemplateSpec and Pod update validation (pkg/apis/core/validation semantics and
// messages, restated). Expects the object to be defaulted first (see defaults-pod.ts): e.g.
// a missing terminationGracePeriodSeconds or imagePullPolicy is an error here, as upstream.

import { fe, GoShown, type FieldError } from '../errors.js';
import { validatePodAnnotations } from './pod-annotations.js';
import {
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isHTTPHeaderName,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  isValidUserID,
  nameIsDNSSubdomain,
} from './names.js';
import { validateAnnotations, validateLabelName, validateLabelSelector, validateLabels } from './object-meta.js';
import { compareQuantity, formatQuantity, isInteger, parseQuantity, quantityParseError, type Quantity } from './quantity.js';
import { arr, child, clone, deepEqual, index, invalidEach, isNotPositiveErrorMsg, key, num, obj, str, validateNonnegativeField, type Obj } from './util.js';

export interface PodValidationOptions {
  /** True when the spec belongs to a Pod (not a template embedded in another kind). */
  resourceIsPod?: boolean;
}

const fileModeErrorMsg = 'must be a number between 0 and 0777 (octal), both inclusive';
const maxInt32 = 2147483647;

function sorted(values: string[]): string[] {
  return [...values].sort();
}

// ---------------------------------------------------------------------------------------------
// Paths

function validatePathNoBacksteps(target: string, path: string): FieldError[] {
  return target.replace(/\\/g, '/').split('/').includes('..') ? [fe.invalid(path, target, "must not contain '..'")] : [];
}

function validateLocalDescendingPath(target: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(fe.invalid(path, target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

function validateLocalNonReservedPath(target: string, path: string): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith('..') && !target.startsWith('../')) errs.push(fe.invalid(path, target, "must not start with '..'"));
  return errs;
}

function validateFileMode(mode: unknown, path: string): FieldError[] {
  const m = num(mode);
  return m !== undefined && (m > 0o777 || m < 0) ? [fe.invalid(path, m, fileModeErrorMsg)] : [];
}

function validateKeyToPath(kp: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const k = str(kp.key) ?? '';
  const p = str(kp.path) ?? '';
  if (k.length === 0) errs.push(fe.required(child(path, 'key')));
  if (p.length === 0) errs.push(fe.required(child(path, 'path')));
  errs.push(...validateLocalNonReservedPath(p, child(path, 'path')));
  errs.push(...validateFileMode(kp.mode, child(path, 'mode')));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Downward API

const downwardAPIConvertible = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);
export const validEnvDownwardAPIFieldPaths = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const validVolumeDownwardAPIFieldPaths = ['metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.annotations', 'metadata.uid'];
const validContainerResourceFieldPaths = ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage'];

/** fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['k']` → ['metadata.labels', 'k']. */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

function validateObjectFieldSelector(fs: Obj, expressions: string[], path: string): FieldError[] {
  const apiVersion = str(fs.apiVersion) ?? '';
  const fieldPath = str(fs.fieldPath) ?? '';
  if (apiVersion.length === 0) return [fe.required(child(path, 'apiVersion'))];
  if (fieldPath.length === 0) return [fe.required(child(path, 'fieldPath'))];
  let convErr: string | undefined;
  if (apiVersion !== 'v1') convErr = `unsupported pod version: ${apiVersion}`;
  else {
    const sub = splitSubscript(fieldPath);
    if (sub) {
      if (sub[0] !== 'metadata.annotations' && sub[0] !== 'metadata.labels') convErr = `field label does not support subscript: ${fieldPath}`;
    } else if (!downwardAPIConvertible.has(fieldPath)) {
      convErr = `field label not supported: ${fieldPath}`;
    }
  }
  if (convErr) return [fe.invalid(child(path, 'fieldPath'), fieldPath, `error converting fieldPath: ${convErr}`)];
  const sub = splitSubscript(fieldPath);
  if (sub) {
    if (sub[0] === 'metadata.annotations') return invalidEach(path, sub[1].toLowerCase(), isQualifiedName(sub[1].toLowerCase()));
    return invalidEach(path, sub[1], isQualifiedName(sub[1]));
  }
  if (!expressions.includes(fieldPath)) return [fe.notSupported(child(path, 'fieldPath'), fieldPath, sorted(expressions))];
  return [];
}

const cpuDivisors = new Set(['1m', '1']);
const byteDivisors = new Set(['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei']);

function validateResourceFieldSelector(fs: Obj, path: string, volume: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const resource = str(fs.resource) ?? '';
  if (volume && (str(fs.containerName) ?? '').length === 0) errs.push(fe.required(child(path, 'containerName')));
  else if (resource.length === 0) errs.push(fe.required(child(path, 'resource')));
  else if (!validContainerResourceFieldPaths.includes(resource) && !resource.startsWith('requests.hugepages-') && !resource.startsWith('limits.hugepages-')) {
    errs.push(fe.notSupported(child(path, 'resource'), resource, sorted(validContainerResourceFieldPaths)));
  }
  if (fs.divisor !== undefined && fs.divisor !== null) {
    const q = parseQuantity(fs.divisor);
    if (!q) errs.push(fe.invalid(child(path, 'divisor'), fs.divisor, quantityParseError));
    else if (q.mantissa !== 0n) {
      const d = formatQuantity(q);
      if ((resource === 'limits.cpu' || resource === 'requests.cpu') && !cpuDivisors.has(d)) {
        errs.push(fe.invalid(child(path, 'divisor'), resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
      } else if ((resource === 'limits.memory' || resource === 'requests.memory') && !byteDivisors.has(d)) {
        errs.push(fe.invalid(child(path, 'divisor'), resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource"));
      } else if ((resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage') && !byteDivisors.has(d)) {
        errs.push(fe.invalid(child(path, 'divisor'), resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource"));
      }
    }
  }
  return errs;
}

function validateDownwardAPIVolumeFile(file: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const p = str(file.path) ?? '';
  if (p.length === 0) errs.push(fe.required(child(path, 'path')));
  errs.push(...validateLocalNonReservedPath(p, child(path, 'path')));
  const fieldRef = obj(file.fieldRef);
  const resourceFieldRef = obj(file.resourceFieldRef);
  if (fieldRef) {
    errs.push(...validateObjectFieldSelector(fieldRef, validVolumeDownwardAPIFieldPaths, child(path, 'fieldRef')));
    if (resourceFieldRef) errs.push(fe.invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (resourceFieldRef) {
    errs.push(...validateResourceFieldSelector(resourceFieldRef, child(path, 'resourceFieldRef'), true));
  } else {
    errs.push(fe.required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...validateFileMode(file.mode, child(path, 'mode')));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Volumes

/** Volume source fields in upstream's check order; the first present one counts, others are Forbidden. */
const volumeSourceOrder = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs', 'flocker',
  'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc', 'flexVolume', 'configMap', 'azureFile',
  'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'storageos', 'projected', 'scaleIO', 'csi', 'ephemeral', 'image',
] as const;
/** Upstream's path for the "more than 1 volume type" error (note the historical `downwarAPI`). */
const volumeSourceErrorName: Record<string, string> = { cephfs: 'cephFS', downwardAPI: 'downwarAPI' };
export const volumeSourceKeys: readonly string[] = volumeSourceOrder;

/** Required string/array fields of the legacy in-tree volume plugins (checked shallowly). */
const legacyRequired: Record<string, string[]> = {
  gitRepo: ['repository'],
  gcePersistentDisk: ['pdName'],
  awsElasticBlockStore: ['volumeID'],
  iscsi: ['targetPortal', 'iqn'],
  glusterfs: ['endpoints', 'path'],
  rbd: ['monitors', 'image'],
  cinder: ['volumeID'],
  cephfs: ['monitors'],
  quobyte: ['registry', 'volume'],
  flexVolume: ['driver'],
  azureFile: ['secretName', 'shareName'],
  vsphereVolume: ['volumePath'],
  photonPersistentDisk: ['pdID'],
  portworxVolume: ['volumeID'],
  azureDisk: ['diskName', 'diskURI'],
  scaleIO: ['gateway', 'system'],
  csi: ['driver'],
};

const supportedHostPathTypes = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];

function validateProjectedSources(projected: Obj, path: string, opts: PodValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  const allPaths = new Set<string>();
  arr(projected.sources).forEach((s, i) => {
    const source = obj(s) ?? {};
    const srcPath = index(child(path, 'sources'), i);
    let numSources = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      const ref = obj(source[kind]);
      if (!ref) continue;
      numSources++;
      const projPath = child(srcPath, kind);
      if ((str(ref.name) ?? '').length === 0) errs.push(fe.required(child(projPath, 'name')));
      arr(ref.items).forEach((it, j) => {
        const kp = obj(it) ?? {};
        errs.push(...validateKeyToPath(kp, index(child(projPath, 'items'), j)));
        const p = str(kp.path) ?? '';
        if (p.length > 0) {
          if (allPaths.has(p)) errs.push(fe.invalid(path, str(ref.name) ?? '', 'conflicting duplicate paths'));
          else allPaths.add(p);
        }
      });
    }
    const dapi = obj(source.downwardAPI);
    if (dapi) {
      numSources++;
      for (const it of arr(dapi.items)) {
        const file = obj(it) ?? {};
        errs.push(...validateDownwardAPIVolumeFile(file, child(srcPath, 'downwardAPI')));
        const p = str(file.path) ?? '';
        if (p.length > 0) {
          if (allPaths.has(p)) errs.push(fe.invalid(path, p, 'conflicting duplicate paths'));
          else allPaths.add(p);
        }
      }
    }
    const sat = obj(source.serviceAccountToken);
    if (sat) {
      numSources++;
      const projPath = child(srcPath, 'serviceAccountToken');
      const exp = num(sat.expirationSeconds) ?? 0;
      if (exp < 600) errs.push(fe.invalid(child(projPath, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(fe.invalid(child(projPath, 'expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
      const p = str(sat.path) ?? '';
      if (p === '') errs.push(fe.required(child(path, 'path')));
      else errs.push(...validateLocalNonReservedPath(p, child(path, 'path')));
    }
    const ctb = obj(source.clusterTrustBundle);
    if (ctb) {
      numSources++;
      const projPath = child(srcPath, 'clusterTrustBundle');
      const hasName = typeof ctb.name === 'string';
      const hasSigner = typeof ctb.signerName === 'string';
      if (hasName && hasSigner) errs.push(fe.invalid(projPath, ctb, 'only one of name and signerName may be used'));
      else if (!hasName && !hasSigner) errs.push(fe.required(projPath, 'either name or signerName must be specified'));
      const p = str(ctb.path) ?? '';
      if (p === '') errs.push(fe.required(child(projPath, 'path')));
      errs.push(...validateLocalNonReservedPath(p, child(projPath, 'path')));
      if (allPaths.has(p)) errs.push(fe.invalid(path, p, 'conflicting duplicate paths'));
      else allPaths.add(p);
    }
    if (numSources > 1) errs.push(fe.forbidden(srcPath, 'may not specify more than 1 volume type'));
  });
  void opts;
  return errs;
}

function validateVolumeSourceDetail(kind: string, src: Obj, path: string, opts: PodValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case 'emptyDir': {
      const sl = src.sizeLimit;
      if (sl !== undefined && sl !== null) {
        const q = parseQuantity(sl);
        if (!q) errs.push(fe.invalid(child(path, 'sizeLimit'), sl, quantityParseError));
        else if (q.mantissa < 0n) errs.push(fe.forbidden(child(path, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
      }
      // The medium is not checked here (upstream: only at mount time, on the node).
      return errs;
    }
    case 'hostPath': {
      const p = str(src.path) ?? '';
      if (p.length === 0) return [fe.required(child(path, 'path'))];
      errs.push(...validatePathNoBacksteps(p, child(path, 'path')));
      const t = src.type;
      if (t !== undefined && t !== null && !supportedHostPathTypes.includes(String(t))) {
        errs.push(fe.notSupported(child(path, 'type'), t, sorted(supportedHostPathTypes)));
      }
      return errs;
    }
    case 'secret':
      if ((str(src.secretName) ?? '').length === 0) errs.push(fe.required(child(path, 'secretName')));
      errs.push(...validateFileMode(src.defaultMode, child(path, 'defaultMode')));
      arr(src.items).forEach((it, i) => errs.push(...validateKeyToPath(obj(it) ?? {}, index(child(path, 'items'), i))));
      return errs;
    case 'configMap':
      if ((str(src.name) ?? '').length === 0) errs.push(fe.required(child(path, 'name')));
      errs.push(...validateFileMode(src.defaultMode, child(path, 'defaultMode')));
      arr(src.items).forEach((it, i) => errs.push(...validateKeyToPath(obj(it) ?? {}, index(child(path, 'items'), i))));
      return errs;
    case 'downwardAPI':
      errs.push(...validateFileMode(src.defaultMode, child(path, 'defaultMode')));
      for (const it of arr(src.items)) errs.push(...validateDownwardAPIVolumeFile(obj(it) ?? {}, path));
      return errs;
    case 'projected':
      errs.push(...validateFileMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...validateProjectedSources(src, path, opts));
      return errs;
    case 'persistentVolumeClaim':
      if ((str(src.claimName) ?? '').length === 0) errs.push(fe.required(child(path, 'claimName')));
      return errs;
    case 'nfs': {
      const p = str(src.path) ?? '';
      if ((str(src.server) ?? '').length === 0) errs.push(fe.required(child(path, 'server')));
      if (p.length === 0) errs.push(fe.required(child(path, 'path')));
      if (!p.startsWith('/')) errs.push(fe.invalid(child(path, 'path'), p, 'must be an absolute path'));
      return errs;
    }
    case 'ephemeral':
      if (!obj(src.volumeClaimTemplate)) errs.push(fe.required(child(path, 'volumeClaimTemplate')));
      return errs;
    case 'image':
      if ((str(src.reference) ?? '').length === 0 && opts.resourceIsPod) errs.push(fe.required(child(path, 'reference')));
      return errs;
    case 'flocker': {
      const dn = str(src.datasetName) ?? '';
      const du = str(src.datasetUUID) ?? '';
      if (dn.length === 0 && du.length === 0) errs.push(fe.required(path, 'one of datasetName and datasetUUID is required'));
      if (dn.length !== 0 && du.length !== 0) errs.push(fe.invalid(path, 'resource', 'datasetName and datasetUUID can not be specified simultaneously'));
      if (dn.includes('/')) errs.push(fe.invalid(child(path, 'datasetName'), dn, "must not contain '/'"));
      return errs;
    }
    case 'fc': {
      const wwns = arr(src.targetWWNs);
      const wwids = arr(src.wwids);
      if (wwns.length < 1 && wwids.length < 1) errs.push(fe.required(child(path, 'targetWWNs'), 'must specify either targetWWNs or wwids, but not both'));
      if (wwns.length !== 0 && wwids.length !== 0) errs.push(fe.invalid(child(path, 'targetWWNs'), wwns, 'targetWWNs and wwids can not be specified simultaneously'));
      return errs;
    }
    default:
      for (const f of legacyRequired[kind] ?? []) {
        const v = src[f];
        if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) errs.push(fe.required(child(path, f)));
      }
      return errs;
  }
}

function validateVolumeSource(vol: Obj, path: string, opts: PodValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  let numVolumes = 0;
  for (const kind of volumeSourceOrder) {
    const src = vol[kind];
    if (src === undefined || src === null) continue;
    if (numVolumes > 0) {
      errs.push(fe.forbidden(child(path, volumeSourceErrorName[kind] ?? kind), 'may not specify more than 1 volume type'));
      continue;
    }
    numVolumes++;
    errs.push(...validateVolumeSourceDetail(kind, obj(src) ?? {}, child(path, kind), opts));
  }
  if (numVolumes === 0) errs.push(fe.required(path, 'must specify a volume type'));
  return errs;
}

/** Returns the valid volumes by name (for mount checks) and the errors. */
export function validateVolumes(volumes: unknown, path: string, opts: PodValidationOptions): { vols: Map<string, Obj>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const vols = new Map<string, Obj>();
  arr(volumes).forEach((v, i) => {
    const vol = obj(v) ?? {};
    const idxPath = index(path, i);
    const name = str(vol.name) ?? '';
    const namePath = child(idxPath, 'name');
    const el = validateVolumeSource(vol, idxPath, opts);
    if (name.length === 0) el.push(fe.required(namePath));
    else el.push(...invalidEach(namePath, name, isDNS1123Label(name)));
    if (vols.has(name)) el.push(fe.duplicate(namePath, name));
    if (el.length === 0) vols.set(name, vol);
    else errs.push(...el);
  });
  return { vols, errs };
}

// ---------------------------------------------------------------------------------------------
// Containers

const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];

function validateContainerPorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((p, i) => {
    const port = obj(p) ?? {};
    const idxPath = index(path, i);
    const name = str(port.name) ?? '';
    if (name.length > 0) {
      const msgs = isValidPortName(name);
      if (msgs.length) errs.push(...invalidEach(child(idxPath, 'name'), name, msgs));
      else if (names.has(name)) errs.push(fe.duplicate(child(idxPath, 'name'), name));
      else names.add(name);
    }
    const cp = num(port.containerPort) ?? 0;
    if (cp === 0) errs.push(fe.required(child(idxPath, 'containerPort')));
    else errs.push(...invalidEach(child(idxPath, 'containerPort'), cp, isValidPortNum(cp)));
    const hp = num(port.hostPort) ?? 0;
    if (hp !== 0) errs.push(...invalidEach(child(idxPath, 'hostPort'), hp, isValidPortNum(hp)));
    const proto = str(port.protocol) ?? '';
    if (proto.length === 0) errs.push(fe.required(child(idxPath, 'protocol')));
    else if (!supportedPortProtocols.includes(proto)) errs.push(fe.notSupported(child(idxPath, 'protocol'), proto, supportedPortProtocols));
  });
  return errs;
}

function validateKeySelector(sel: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sel.name) ?? '';
  errs.push(...invalidEach(child(path, 'name'), name, nameIsDNSSubdomain(name, false)));
  const k = str(sel.key) ?? '';
  if (k.length === 0) errs.push(fe.required(child(path, 'key')));
  else errs.push(...invalidEach(child(path, 'key'), k, isConfigMapKey(k)));
  return errs;
}

function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((e, i) => {
    const ev = obj(e) ?? {};
    const idxPath = index(path, i);
    const name = str(ev.name) ?? '';
    if (name.length === 0) errs.push(fe.required(child(idxPath, 'name')));
    else errs.push(...invalidEach(child(idxPath, 'name'), name, isEnvVarName(name)));
    const vf = obj(ev.valueFrom);
    if (!vf) return;
    const vfPath = child(idxPath, 'valueFrom');
    let numSources = 0;
    const fieldRef = obj(vf.fieldRef);
    if (fieldRef) {
      numSources++;
      errs.push(...validateObjectFieldSelector(fieldRef, validEnvDownwardAPIFieldPaths, child(vfPath, 'fieldRef')));
    }
    const rf = obj(vf.resourceFieldRef);
    if (rf) {
      numSources++;
      errs.push(...validateResourceFieldSelector(rf, child(vfPath, 'resourceFieldRef'), false));
    }
    const cm = obj(vf.configMapKeyRef);
    if (cm) {
      numSources++;
      errs.push(...validateKeySelector(cm, child(vfPath, 'configMapKeyRef')));
    }
    const sk = obj(vf.secretKeyRef);
    if (sk) {
      numSources++;
      errs.push(...validateKeySelector(sk, child(vfPath, 'secretKeyRef')));
    }
    if (numSources === 0) errs.push(fe.invalid(vfPath, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if ((str(ev.value) ?? '').length !== 0) errs.push(fe.invalid(vfPath, '', 'may not be specified when `value` is not empty'));
    else if (numSources > 1) errs.push(fe.invalid(vfPath, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(envFrom).forEach((e, i) => {
    const ev = obj(e) ?? {};
    const idxPath = index(path, i);
    const prefix = str(ev.prefix) ?? '';
    if (prefix.length > 0) errs.push(...invalidEach(child(idxPath, 'prefix'), prefix, isEnvVarName(prefix)));
    let numSources = 0;
    for (const kind of ['configMapRef', 'secretRef']) {
      const ref = obj(ev[kind]);
      if (!ref) continue;
      numSources++;
      const name = str(ref.name) ?? '';
      if (name.length === 0) errs.push(fe.required(child(idxPath, kind, 'name')));
      else errs.push(...invalidEach(child(idxPath, kind, 'name'), name, nameIsDNSSubdomain(name, true)));
    }
    if (numSources === 0) errs.push(fe.invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (numSources > 1) errs.push(fe.invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(ctr: Obj, vols: Map<string, Obj>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountpoints = new Set<string>();
  const devices = new Map<string, string>();
  for (const d of arr(ctr.volumeDevices)) {
    const dev = obj(d) ?? {};
    devices.set(str(dev.name) ?? '', str(dev.devicePath) ?? '');
  }
  const privileged = obj(ctr.securityContext)?.privileged === true;
  arr(ctr.volumeMounts).forEach((m, i) => {
    const mnt = obj(m) ?? {};
    const idxPath = index(path, i);
    const name = str(mnt.name) ?? '';
    const mountPath = str(mnt.mountPath) ?? '';
    if (name.length === 0) errs.push(fe.required(child(idxPath, 'name')));
    if (!vols.has(name)) errs.push(fe.notFound(child(idxPath, 'name'), name));
    if (mountPath.length === 0) errs.push(fe.required(child(idxPath, 'mountPath')));
    if (mountpoints.has(mountPath)) errs.push(fe.invalid(child(idxPath, 'mountPath'), mountPath, 'must be unique'));
    mountpoints.add(mountPath);
    if (devices.has(name)) errs.push(fe.invalid(child(idxPath, 'name'), name, 'must not already exist in volumeDevices'));
    if ([...devices.values()].includes(mountPath)) errs.push(fe.invalid(child(idxPath, 'mountPath'), mountPath, 'must not already exist as a path in volumeDevices'));
    const subPath = str(mnt.subPath) ?? '';
    const subPathExpr = str(mnt.subPathExpr) ?? '';
    const vol = vols.get(name);
    if (vol && vol.image) {
      if (subPath) errs.push(fe.invalid(child(idxPath, 'subPath'), subPath, 'not allowed in image volume sources'));
      if (subPathExpr) errs.push(fe.invalid(child(idxPath, 'subPathExpr'), subPathExpr, 'not allowed in image volume sources'));
    }
    if (subPath.length > 0) errs.push(...validateLocalDescendingPath(subPath, child(path, 'subPath')));
    if (subPathExpr.length > 0) {
      if (subPath.length > 0) errs.push(fe.invalid(child(idxPath, 'subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(subPathExpr, child(path, 'subPathExpr')));
    }
    const prop = mnt.mountPropagation;
    if (prop !== undefined && prop !== null) {
      const ppath = child(path, 'mountPropagation');
      if (!['Bidirectional', 'HostToContainer', 'None'].includes(String(prop))) errs.push(fe.notSupported(ppath, prop, ['Bidirectional', 'HostToContainer', 'None']));
      if (prop === 'Bidirectional' && !privileged) errs.push(fe.forbidden(ppath, 'Bidirectional mount propagation is available only to privileged containers'));
    }
    const rro = mnt.recursiveReadOnly;
    if (rro !== undefined && rro !== null) {
      const rpath = child(path, 'recursiveReadOnly');
      if (rro === 'Enabled' || rro === 'IfPossible') {
        if (mnt.readOnly !== true) errs.push(fe.forbidden(rpath, 'may only be specified when readOnly is true'));
        if (prop !== undefined && prop !== null && prop !== 'None') errs.push(fe.forbidden(rpath, 'may only be specified when mountPropagation is None or not specified'));
      } else if (rro !== 'Disabled') {
        errs.push(fe.notSupported(rpath, rro, ['Disabled', 'Enabled', 'IfPossible']));
      }
    }
  });
  return errs;
}

function validateVolumeDevices(ctr: Obj, vols: Map<string, Obj>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mounts = new Map<string, string>();
  for (const m of arr(ctr.volumeMounts)) {
    const mnt = obj(m) ?? {};
    mounts.set(str(mnt.name) ?? '', str(mnt.mountPath) ?? '');
  }
  const devNames = new Set<string>();
  const devPaths = new Set<string>();
  arr(ctr.volumeDevices).forEach((d, i) => {
    const dev = obj(d) ?? {};
    const idxPath = index(path, i);
    const name = str(dev.name) ?? '';
    const devPath = str(dev.devicePath) ?? '';
    const vol = vols.get(name);
    if (name.length === 0) errs.push(fe.required(child(idxPath, 'name')));
    if (devNames.has(name)) errs.push(fe.invalid(child(idxPath, 'name'), name, 'must be unique'));
    if (vol && !vol.persistentVolumeClaim && !vol.ephemeral) errs.push(fe.invalid(child(idxPath, 'name'), name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    if (!vol) errs.push(fe.notFound(child(idxPath, 'name'), name));
    if (devPath.length === 0) errs.push(fe.required(child(idxPath, 'devicePath')));
    if (devPaths.has(devPath)) errs.push(fe.invalid(child(idxPath, 'devicePath'), devPath, 'must be unique'));
    if (devPath.length > 0 && validatePathNoBacksteps(devPath, '').length > 0) errs.push(fe.invalid(child(idxPath, 'devicePath'), devPath, "can not contain backsteps ('..')"));
    else devPaths.add(devPath);
    if (mounts.has(name)) errs.push(fe.invalid(child(idxPath, 'name'), name, 'must not already exist in volumeMounts'));
    if ([...mounts.values()].includes(devPath)) errs.push(fe.invalid(child(idxPath, 'devicePath'), devPath, 'must not already exist as a path in volumeMounts'));
    if (name.length > 0) devNames.add(name);
  });
  return errs;
}

function validatePullPolicy(policy: unknown, path: string): FieldError[] {
  const p = str(policy) ?? '';
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return [];
  if (p === '') return [fe.required(path)];
  return [fe.notSupported(path, p, ['Always', 'IfNotPresent', 'Never'])];
}

// Resources

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}
function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}
/** Extended resources (e.g. `nvidia.com/gpu`): not native, usable as `requests.<name>` quota key. */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

/** Names upstream's IsStandardResourceName knows (besides hugepages). */
const standardResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory',
  'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers',
]);

/**
 * A resource name as upstream's field errors show it: a core.ResourceName, whose String method
 * prints it bare (`Invalid value: limits.pods: ...`), not quoted as a plain string would be.
 */
export function shownResourceName(name: string): GoShown {
  return new GoShown(name);
}

/** upstream's validateResourceName: a qualified name, and a standard resource unless it has a prefix. */
export function validateResourceName(name: string, path: string): FieldError[] {
  const errs = invalidEach(path, shownResourceName(name), isQualifiedName(name));
  if (errs.length > 0) return errs;
  if (!name.includes('/') && !standardResources.has(name) && !name.startsWith('hugepages-') && !name.startsWith('requests.hugepages-')) {
    errs.push(fe.invalid(path, shownResourceName(name), 'must be a standard resource type or fully qualified'));
  }
  return errs;
}

/** upstream's validateContainerResourceName: validateResourceName, then a resource containers may use. */
export function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !isHugePages(name)) errs.push(fe.invalid(path, shownResourceName(name), 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(fe.invalid(path, shownResourceName(name), "doesn't follow extended resource name standard"));
  }
  return errs;
}

function quantityOf(v: unknown, path: string, errs: FieldError[]): Quantity | undefined {
  const q = parseQuantity(v);
  if (!q) errs.push(fe.invalid(path, v, quantityParseError));
  return q;
}

/** Resources counted in whole objects (upstream's integerResources). */
const integerResources = new Set(['pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);

/** upstream's ValidateResourceQuantityValue: at least 0, and whole for an object count or an extended resource. */
export function validateResourceQuantityValue(name: string, q: Quantity, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (q.mantissa < 0n) errs.push(fe.invalid(path, formatQuantity(q), 'must be greater than or equal to 0'));
  if ((integerResources.has(name) || isExtendedResourceName(name)) && !isInteger(q)) errs.push(fe.invalid(path, formatQuantity(q), 'must be an integer'));
  return errs;
}

export function validateResourceRequirements(res: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = obj(res) ?? {};
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = new Map<string, Quantity>();
  let limCpuMem = false;
  let reqCpuMem = false;
  let limHuge = false;
  let reqHuge = false;
  for (const [name, v] of Object.entries(obj(r.limits) ?? {})) {
    const p = key(limPath, name);
    errs.push(...validateContainerResourceName(name, p));
    const q = quantityOf(v, p, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, p));
    limits.set(name, q);
    if (isHugePages(name)) limHuge = true;
    if (name === 'cpu' || name === 'memory') limCpuMem = true;
  }
  for (const [name, v] of Object.entries(obj(r.requests) ?? {})) {
    const p = key(reqPath, name);
    errs.push(...validateContainerResourceName(name, p));
    const q = quantityOf(v, p, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, p));
    const lim = limits.get(name);
    if (lim) {
      const c = compareQuantity(q, lim);
      if (c !== 0 && !isOvercommitAllowed(name)) errs.push(fe.invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(lim)}`));
      else if (c > 0) errs.push(fe.invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(lim)}`));
    } else if (!isOvercommitAllowed(name)) {
      errs.push(fe.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePages(name)) reqHuge = true;
    if (name === 'cpu' || name === 'memory') reqCpuMem = true;
  }
  if (!limCpuMem && !reqCpuMem && (reqHuge || limHuge)) errs.push(fe.forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}

// Probes and handlers

function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return invalidEach(path, port, isValidPortNum(port));
  if (typeof port === 'string') return invalidEach(path, port, isValidPortName(port));
  return [fe.invalid(path, port ?? null, 'must be an integer or a port name')];
}

const handlerKinds = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const;

function validateHandler(h: Obj, gracePeriod: number | undefined, path: string, allowed: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  let numHandlers = 0;
  for (const kind of handlerKinds) {
    if (!allowed.includes(kind)) continue;
    const v = obj(h[kind]);
    if (!v) continue;
    const p = child(path, kind);
    if (numHandlers > 0) {
      errs.push(fe.forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    numHandlers++;
    switch (kind) {
      case 'exec':
        if (arr(v.command).length === 0) errs.push(fe.required(child(p, 'command')));
        break;
      case 'httpGet': {
        if ((str(v.path) ?? '').length === 0) errs.push(fe.required(child(p, 'path')));
        errs.push(...validatePortNumOrName(v.port, child(p, 'port')));
        const scheme = str(v.scheme) ?? '';
        if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(fe.notSupported(child(p, 'scheme'), scheme, ['HTTP', 'HTTPS']));
        for (const hd of arr(v.httpHeaders)) {
          const name = str(obj(hd)?.name) ?? '';
          errs.push(...invalidEach(child(p, 'httpHeaders'), name, isHTTPHeaderName(name)));
        }
        break;
      }
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(v.port, child(p, 'port')));
        break;
      case 'grpc':
        errs.push(...validatePortNumOrName(num(v.port) ?? 0, child(p, 'port')));
        break;
      case 'sleep': {
        const secs = num(v.seconds) ?? 0;
        if (gracePeriod !== undefined && (secs < 0 || secs > gracePeriod)) {
          errs.push(fe.invalid(p, secs, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
        }
        break;
      }
    }
  }
  if (numHandlers === 0) errs.push(fe.required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: Obj, gracePeriod: number | undefined, path: string): FieldError[] {
  const errs = validateHandler(probe, gracePeriod, path, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegativeField(num(probe[f]) ?? 0, child(path, f)));
  }
  const tgps = num(probe.terminationGracePeriodSeconds);
  if (tgps !== undefined && tgps <= 0) errs.push(fe.invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  return errs;
}

function validateProbes(ctr: Obj, gracePeriod: number | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const live = obj(ctr.livenessProbe);
  if (live) {
    errs.push(...validateProbe(live, gracePeriod, child(path, 'livenessProbe')));
    if ((num(live.successThreshold) ?? 0) !== 1) errs.push(fe.invalid(child(path, 'livenessProbe', 'successThreshold'), num(live.successThreshold) ?? 0, 'must be 1'));
  }
  const ready = obj(ctr.readinessProbe);
  if (ready) {
    errs.push(...validateProbe(ready, gracePeriod, child(path, 'readinessProbe')));
    if (ready.terminationGracePeriodSeconds !== undefined && ready.terminationGracePeriodSeconds !== null) {
      errs.push(fe.invalid(child(path, 'readinessProbe', 'terminationGracePeriodSeconds'), ready.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    }
  }
  const startup = obj(ctr.startupProbe);
  if (startup) {
    errs.push(...validateProbe(startup, gracePeriod, child(path, 'startupProbe')));
    if ((num(startup.successThreshold) ?? 0) !== 1) errs.push(fe.invalid(child(path, 'startupProbe', 'successThreshold'), num(startup.successThreshold) ?? 0, 'must be 1'));
  }
  return errs;
}

function validateLifecycle(lc: Obj, gracePeriod: number | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop']) {
    const h = obj(lc[hook]);
    if (h) errs.push(...validateHandler(h, gracePeriod, child(path, hook), ['exec', 'httpGet', 'tcpSocket', 'sleep']));
  }
  return errs;
}

// Security context

function validateSeccompProfile(sp: unknown, path: string): FieldError[] {
  const p = obj(sp);
  if (!p) return [];
  const errs: FieldError[] = [];
  const t = str(p.type) ?? '';
  if (t === '') errs.push(fe.required(child(path, 'type'), 'type is required when seccompProfile is set'));
  else if (!['Localhost', 'RuntimeDefault', 'Unconfined'].includes(t)) errs.push(fe.notSupported(child(path, 'type'), t, ['Localhost', 'RuntimeDefault', 'Unconfined']));
  if (t === 'Localhost') {
    const lp = str(p.localhostProfile);
    if (lp === undefined) errs.push(fe.required(child(path, 'localhostProfile'), 'must be set when seccomp type is Localhost'));
    else errs.push(...validateLocalDescendingPath(lp, child(path, 'localhostProfile')));
  } else if (p.localhostProfile !== undefined && p.localhostProfile !== null) {
    errs.push(fe.invalid(child(path, 'localhostProfile'), p, 'can only be set when seccomp type is Localhost'));
  }
  return errs;
}

function validateAppArmorProfile(ap: unknown, path: string): FieldError[] {
  const p = obj(ap);
  if (!p) return [];
  const t = str(p.type) ?? '';
  const lp = str(p.localhostProfile);
  switch (t) {
    case 'Localhost':
      if (lp === undefined || lp.trim() === '') return [fe.required(child(path, 'localhostProfile'), 'must be set when AppArmor type is Localhost')];
      if (lp.trim() !== lp) return [fe.invalid(child(path, 'localhostProfile'), lp, 'must not be padded with whitespace')];
      return [];
    case 'RuntimeDefault':
    case 'Unconfined':
      return lp !== undefined ? [fe.invalid(child(path, 'localhostProfile'), lp, 'can only be set when AppArmor type is Localhost')] : [];
    case '':
      return [fe.required(child(path, 'type'), 'type is required when appArmorProfile is set')];
    default:
      return [fe.notSupported(child(path, 'type'), t, ['Localhost', 'RuntimeDefault', 'Unconfined'])];
  }
}

function validateContainerSecurityContext(scv: unknown, path: string, hostUsers: boolean): FieldError[] {
  const sc = obj(scv);
  if (!sc) return [];
  const errs: FieldError[] = [];
  for (const f of ['runAsUser', 'runAsGroup']) {
    const v = num(sc[f]);
    if (v !== undefined) errs.push(...invalidEach(child(path, f), v, isValidUserID(v)));
  }
  const pm = sc.procMount;
  if (pm !== undefined && pm !== null) {
    if (pm !== 'Default' && pm !== 'Unmasked') errs.push(fe.notSupported(child(path, 'procMount'), pm, ['Default', 'Unmasked']));
    else if (hostUsers && pm === 'Unmasked') errs.push(fe.forbidden(child(path, 'procMount'), '`hostUsers` must be false to use `Unmasked`'));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, child(path, 'seccompProfile')));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(fe.invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    for (const cap of arr(obj(sc.capabilities)?.add)) {
      if (cap === 'CAP_SYS_ADMIN') errs.push(fe.invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, child(path, 'appArmorProfile')));
  return errs;
}

function validateContainerCommon(ctr: Obj, vols: Map<string, Obj>, path: string, hostUsers: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(ctr.name) ?? '';
  if (name.length === 0) errs.push(fe.required(child(path, 'name')));
  else errs.push(...invalidEach(child(path, 'name'), name, isDNS1123Label(name)));
  if ((str(ctr.image) ?? '').length === 0) errs.push(fe.required(child(path, 'image')));
  const tmp = str(ctr.terminationMessagePolicy) ?? '';
  if (tmp === '') errs.push(fe.required(child(path, 'terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') errs.push(fe.notSupported(child(path, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  errs.push(...validateContainerPorts(ctr.ports, child(path, 'ports')));
  errs.push(...validateEnv(ctr.env, child(path, 'env')));
  errs.push(...validateEnvFrom(ctr.envFrom, child(path, 'envFrom')));
  errs.push(...validateVolumeMounts(ctr, vols, child(path, 'volumeMounts')));
  errs.push(...validateVolumeDevices(ctr, vols, child(path, 'volumeDevices')));
  errs.push(...validatePullPolicy(ctr.imagePullPolicy, child(path, 'imagePullPolicy')));
  errs.push(...validateResourceRequirements(ctr.resources, child(path, 'resources')));
  errs.push(...validateContainerSecurityContext(ctr.securityContext, child(path, 'securityContext'), hostUsers));
  return errs;
}

function checkHostPortConflicts(ctrs: Obj[], path: string, startIndex = 0): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  ctrs.forEach((ctr, ci) => {
    arr(ctr.ports).forEach((p, pi) => {
      const port = obj(p) ?? {};
      const hp = num(port.hostPort) ?? 0;
      if (hp === 0) return;
      const s = `${str(port.protocol) ?? ''}/${str(port.hostIP) ?? ''}/${hp}`;
      if (seen.has(s)) errs.push(fe.duplicate(child(index(child(index(path, ci + startIndex), 'ports'), pi), 'hostPort'), s));
      else seen.add(s);
    });
  });
  return errs;
}

function validateContainers(containers: Obj[], vols: Map<string, Obj>, gracePeriod: number | undefined, path: string, hostUsers: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (containers.length === 0) return [fe.required(path)];
  const names = new Set<string>();
  containers.forEach((ctr, i) => {
    const p = index(path, i);
    errs.push(...validateContainerCommon(ctr, vols, p, hostUsers));
    const name = str(ctr.name) ?? '';
    if (names.has(name)) errs.push(fe.duplicate(child(p, 'name'), name));
    else names.add(name);
    const lc = obj(ctr.lifecycle);
    if (lc) errs.push(...validateLifecycle(lc, gracePeriod, child(p, 'lifecycle')));
    errs.push(...validateProbes(ctr, gracePeriod, p));
    if (ctr.restartPolicy !== undefined && ctr.restartPolicy !== null) errs.push(fe.forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(containers, path));
  return errs;
}

function validateInitContainers(inits: Obj[], regular: Obj[], vols: Map<string, Obj>, gracePeriod: number | undefined, path: string, hostUsers: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(regular.map((c) => str(c.name) ?? ''));
  inits.forEach((ctr, i) => {
    const p = index(path, i);
    errs.push(...validateContainerCommon(ctr, vols, p, hostUsers));
    let restartAlways = false;
    if (ctr.restartPolicy !== undefined && ctr.restartPolicy !== null) {
      if (ctr.restartPolicy !== 'Always') errs.push(fe.notSupported(child(p, 'restartPolicy'), ctr.restartPolicy, ['Always']));
      restartAlways = ctr.restartPolicy === 'Always';
    }
    const name = str(ctr.name) ?? '';
    if (names.has(name)) errs.push(fe.duplicate(child(p, 'name'), name));
    else if (name.length > 0) names.add(name);
    errs.push(...checkHostPortConflicts([ctr], path, i));
    if (restartAlways) {
      const lc = obj(ctr.lifecycle);
      if (lc) errs.push(...validateLifecycle(lc, gracePeriod, child(p, 'lifecycle')));
      errs.push(...validateProbes(ctr, gracePeriod, p));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (ctr[f] !== undefined && ctr[f] !== null) errs.push(fe.forbidden(child(p, f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

/**
 * The fields of an ephemeral container (upstream's EphemeralContainerCommon, in its field order)
 * that must stay unset: what a workload relies on (ports, resources, restarts, probes,
 * lifecycle hooks) has no place in a debugging container. Upstream keeps an allow-list of the
 * others, so a field it adds is refused until someone decides; the decoder prunes fields the
 * schema does not know, so naming the refused ones here says the same.
 * `set`: whether a value counts as set, as Go compares a field with its zero value: a list or
 * pointer is set when present (an empty list too), the resources struct when any of its parts is.
 */
const ephemeralForbiddenFields: ReadonlyArray<{ name: string; set: (v: unknown) => boolean }> = [
  { name: 'ports', set: present },
  { name: 'resources', set: (v) => Object.values(obj(v) ?? {}).some(present) },
  { name: 'resizePolicy', set: present },
  { name: 'restartPolicy', set: present },
  { name: 'livenessProbe', set: present },
  { name: 'readinessProbe', set: present },
  { name: 'startupProbe', set: present },
  { name: 'lifecycle', set: present },
];

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

const notForEphemeral = 'cannot be set for an Ephemeral Container';

/**
 * upstream's validateEphemeralContainers (part of ValidatePodSpec, so templates run it too, and
 * a pod create, which then also refuses the list itself): each ephemeral container gets the
 * checks every container gets plus the pod-only image check; its name must be unique across
 * containers, init containers and the ephemeral containers before it (Duplicate); a
 * targetContainerName must name a container or init container (NotFound); the fields of
 * ephemeralForbiddenFields and volume mount subPath / subPathExpr (bind mounts that outlive the
 * container) are Forbidden.
 */
function validateEphemeralContainers(ephemerals: Obj[], containers: Obj[], inits: Obj[], vols: Map<string, Obj>, path: string, hostUsers: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (ephemerals.length === 0) return errs;
  const targets = new Set([...containers, ...inits].map((c) => str(c.name) ?? ''));
  const names = new Set(targets);
  ephemerals.forEach((ctr, i) => {
    const p = index(path, i);
    errs.push(...validateContainerCommon(ctr, vols, p, hostUsers));
    errs.push(...imageWhitespace(ctr, p));
    const name = str(ctr.name) ?? '';
    if (names.has(name)) errs.push(fe.duplicate(child(p, 'name'), name));
    else names.add(name);
    const target = str(ctr.targetContainerName) ?? '';
    if (target !== '' && !targets.has(target)) errs.push(fe.notFound(child(p, 'targetContainerName'), target));
    for (const f of ephemeralForbiddenFields) if (f.set(ctr[f.name])) errs.push(fe.forbidden(child(p, f.name), notForEphemeral));
    arr(ctr.volumeMounts).forEach((m, j) => {
      const mnt = obj(m) ?? {};
      for (const f of ['subPath', 'subPathExpr']) {
        if ((str(mnt[f]) ?? '') !== '') errs.push(fe.forbidden(child(index(child(p, 'volumeMounts'), j), f), notForEphemeral));
      }
    });
  });
  return errs;
}

/** upstream's validateContainerOnlyForPod: an image with surrounding whitespace (templates allow it, for old clients). */
function imageWhitespace(ctr: Obj, path: string): FieldError[] {
  const img = str(ctr.image) ?? '';
  return img.length !== img.trim().length ? [fe.invalid(child(path, 'image'), img, 'must not have leading or trailing whitespace')] : [];
}

// Scheduling: tolerations, affinity, topology spread

export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(tolerations).forEach((t, i) => {
    const tol = obj(t) ?? {};
    const idxPath = index(path, i);
    const k = str(tol.key) ?? '';
    const op = str(tol.operator) ?? '';
    const value = str(tol.value) ?? '';
    const effect = str(tol.effect) ?? '';
    if (k.length > 0) errs.push(...validateLabelName(k, child(idxPath, 'key')));
    if (k.length === 0 && op !== 'Exists') {
      errs.push(fe.invalid(child(idxPath, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (tol.tolerationSeconds !== undefined && tol.tolerationSeconds !== null && effect !== 'NoExecute') {
      errs.push(fe.invalid(child(idxPath, 'effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (op) {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(value);
        if (msgs.length) errs.push(fe.invalid(child(idxPath, 'operator'), value, msgs.join(';')));
        break;
      }
      case 'Exists':
        if (value.length > 0) errs.push(fe.invalid(child(idxPath, 'operator'), value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(fe.notSupported(child(idxPath, 'operator'), op, ['Equal', 'Exists']));
    }
    if (effect.length > 0 && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) {
      errs.push(fe.notSupported(child(idxPath, 'effect'), effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    }
  });
  return errs;
}

function validateNodeSelectorRequirement(rq: Obj, path: string, checkValues: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const values = arr(rq.values);
  const op = rq.operator;
  switch (op) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(fe.required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(fe.forbidden(child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(fe.required(child(path, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(fe.invalid(child(path, 'operator'), op ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(rq.key) ?? '', child(path, 'key')));
  if (checkValues) {
    values.forEach((v, i) => {
      const s = String(v);
      errs.push(...invalidEach(index(child(path, 'values'), i), s, isValidLabelValue(s)));
    });
  }
  return errs;
}

function validateNodeFieldSelectorRequirement(rq: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const values = arr(rq.values);
  if (rq.operator === 'In' || rq.operator === 'NotIn') {
    if (values.length !== 1) errs.push(fe.required(child(path, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    errs.push(fe.invalid(child(path, 'operator'), rq.operator ?? '', 'not a valid selector operator'));
  }
  if (rq.key !== 'metadata.name') errs.push(fe.invalid(child(path, 'key'), rq.key ?? '', 'not a valid field selector key'));
  else values.forEach((v, i) => errs.push(...invalidEach(index(child(path, 'values'), i), String(v), nameIsDNSSubdomain(String(v), false))));
  return errs;
}

function validateNodeSelectorTerm(term: Obj, path: string, checkValues: boolean): FieldError[] {
  const errs: FieldError[] = [];
  arr(term.matchExpressions).forEach((r, j) => errs.push(...validateNodeSelectorRequirement(obj(r) ?? {}, index(child(path, 'matchExpressions'), j), checkValues)));
  arr(term.matchFields).forEach((r, j) => errs.push(...validateNodeFieldSelectorRequirement(obj(r) ?? {}, index(child(path, 'matchFields'), j))));
  return errs;
}

function validatePodAffinityTerm(term: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabelSelector(term.labelSelector, child(path, 'labelSelector')));
  errs.push(...validateLabelSelector(term.namespaceSelector, child(path, 'namespaceSelector')));
  for (const ns of arr(term.namespaces)) errs.push(...invalidEach(child(path, 'namespace'), String(ns), isDNS1123Label(String(ns))));
  const tk = str(term.topologyKey) ?? '';
  if (tk.length === 0) errs.push(fe.required(child(path, 'topologyKey'), 'can not be empty'));
  errs.push(...validateLabelName(tk, child(path, 'topologyKey')));
  return errs;
}

function validatePodAffinityKind(pa: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) =>
    errs.push(...validatePodAffinityTerm(obj(t) ?? {}, index(child(path, 'requiredDuringSchedulingIgnoredDuringExecution'), i))),
  );
  arr(pa.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    const wt = obj(t) ?? {};
    const p = index(child(path, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
    const w = num(wt.weight) ?? 0;
    if (w <= 0 || w > 100) errs.push(fe.invalid(child(p, 'weight'), w, 'must be in the range 1-100'));
    errs.push(...validatePodAffinityTerm(obj(wt.podAffinityTerm) ?? {}, child(p, 'podAffinityTerm')));
  });
  return errs;
}

function validateAffinity(aff: unknown, path: string): FieldError[] {
  const a = obj(aff);
  if (!a) return [];
  const errs: FieldError[] = [];
  const na = obj(a.nodeAffinity);
  if (na) {
    const naPath = child(path, 'nodeAffinity');
    const req = obj(na.requiredDuringSchedulingIgnoredDuringExecution);
    if (req) {
      const termsPath = child(naPath, 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms');
      const terms = arr(req.nodeSelectorTerms);
      if (terms.length === 0) errs.push(fe.required(termsPath, 'must have at least one node selector term'));
      terms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(obj(t) ?? {}, index(termsPath, i), true)));
    }
    arr(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const pt = obj(t) ?? {};
      const p = index(child(naPath, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      const w = num(pt.weight) ?? 0;
      if (w <= 0 || w > 100) errs.push(fe.invalid(child(p, 'weight'), w, 'must be in the range 1-100'));
      errs.push(...validateNodeSelectorTerm(obj(pt.preference) ?? {}, child(p, 'preference'), false));
    });
  }
  const pa = obj(a.podAffinity);
  if (pa) errs.push(...validatePodAffinityKind(pa, child(path, 'podAffinity')));
  const paa = obj(a.podAntiAffinity);
  if (paa) errs.push(...validatePodAffinityKind(paa, child(path, 'podAntiAffinity')));
  return errs;
}

function validateTopologySpreadConstraints(constraints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(constraints).map((c) => obj(c) ?? {});
  list.forEach((c, i) => {
    const p = index(path, i);
    const maxSkew = num(c.maxSkew) ?? 0;
    if (maxSkew <= 0) errs.push(fe.invalid(child(p, 'maxSkew'), maxSkew, isNotPositiveErrorMsg));
    const tk = str(c.topologyKey) ?? '';
    if (tk.length === 0) errs.push(fe.required(child(p, 'topologyKey'), 'can not be empty'));
    else errs.push(...validateLabelName(tk, child(p, 'topologyKey')));
    const wu = str(c.whenUnsatisfiable) ?? '';
    if (wu !== 'DoNotSchedule' && wu !== 'ScheduleAnyway') errs.push(fe.notSupported(child(p, 'whenUnsatisfiable'), wu, ['DoNotSchedule', 'ScheduleAnyway']));
    for (const later of list.slice(i + 1)) {
      if (later.topologyKey === c.topologyKey && later.whenUnsatisfiable === c.whenUnsatisfiable) {
        errs.push(fe.duplicate(child(p, '{topologyKey, whenUnsatisfiable}'), `{${tk}, ${wu}}`));
        break;
      }
    }
    const md = num(c.minDomains);
    if (md !== undefined) {
      if (md <= 0) errs.push(fe.invalid(child(p, 'minDomains'), md, isNotPositiveErrorMsg));
      if (wu !== 'DoNotSchedule') errs.push(fe.invalid(child(p, 'minDomains'), md, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${wu}`));
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      const v = c[f];
      if (v !== undefined && v !== null && v !== 'Honor' && v !== 'Ignore') errs.push(fe.notSupported(child(p, f), v, ['Honor', 'Ignore']));
    }
    errs.push(...validateLabelSelector(c.labelSelector, child(p, 'labelSelector')));
  });
  return errs;
}

function validatePodDNSConfig(dnsConfig: unknown, dnsPolicy: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const dc = obj(dnsConfig);
  if (dnsPolicy === 'None') {
    if (!dc) return [fe.required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (arr(dc.nameservers).length === 0) return [fe.required(child(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!dc) return errs;
  const ns = arr(dc.nameservers).map(String);
  if (ns.length > 3) errs.push(fe.invalid(child(path, 'nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => errs.push(...invalidEach(index(child(path, 'nameservers'), i), n, isValidIP(n))));
  const searches = arr(dc.searches).map(String);
  if (searches.length > 32) errs.push(fe.invalid(child(path, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) errs.push(fe.invalid(child(path, 'searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => {
    if (s === '.') return;
    const t = s.endsWith('.') ? s.slice(0, -1) : s;
    // Relaxed DNS search validation (on by default since v1.32): underscores allowed.
    if (!/^_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*$/.test(t) || t.length > 253) {
      errs.push(...invalidEach(index(child(path, 'searches'), i), t, isDNS1123Subdomain(t).length ? isDNS1123Subdomain(t) : ['must be a valid DNS subdomain']));
    }
  });
  arr(dc.options).forEach((o, i) => {
    if ((str(obj(o)?.name) ?? '').length === 0) errs.push(fe.required(index(child(path, 'options'), i), 'must not be empty'));
  });
  return errs;
}

function validatePodSecurityContext(scv: unknown, path: string, hostNetwork: boolean, hostIPC: boolean): FieldError[] {
  const sc = obj(scv);
  if (!sc) return [];
  const errs: FieldError[] = [];
  for (const f of ['fsGroup', 'runAsUser', 'runAsGroup']) {
    const v = num(sc[f]);
    if (v !== undefined) errs.push(...invalidEach(child(path, f), v, isValidUserID(v)));
  }
  arr(sc.supplementalGroups).forEach((g, i) => {
    const v = num(g) ?? -1;
    errs.push(...invalidEach(index(child(path, 'supplementalGroups'), i), v, isValidUserID(v)));
  });
  const names = new Set<string>();
  arr(sc.sysctls).forEach((s, i) => {
    const name = str(obj(s)?.name) ?? '';
    const np = child(index(child(path, 'sysctls'), i), 'name');
    if (name.length === 0) errs.push(fe.required(np));
    else if (name.length > 253 || !/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(name)) {
      errs.push(fe.invalid(np, name, 'must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$'));
    } else if (names.has(name)) errs.push(fe.duplicate(np, name));
    if (hostNetwork && name.startsWith('net.')) errs.push(fe.invalid(np, name, "may not be specified when 'hostNetwork' is true"));
    if (hostIPC && (name.startsWith('kernel.shm') || name.startsWith('kernel.msg') || name.startsWith('kernel.sem') || name.startsWith('fs.mqueue.'))) {
      errs.push(fe.invalid(np, name, "may not be specified when 'hostIPC' is true"));
    }
    names.add(name);
  });
  const fgcp = sc.fsGroupChangePolicy;
  if (fgcp !== undefined && fgcp !== null && fgcp !== 'OnRootMismatch' && fgcp !== 'Always') {
    errs.push(fe.notSupported(child(path, 'fsGroupChangePolicy'), fgcp, ['Always', 'OnRootMismatch']));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, child(path, 'seccompProfile')));
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, child(path, 'appArmorProfile')));
  const sgp = sc.supplementalGroupsPolicy;
  if (sgp !== undefined && sgp !== null && sgp !== 'Merge' && sgp !== 'Strict') errs.push(fe.notSupported(child(path, 'supplementalGroupsPolicy'), sgp, ['Merge', 'Strict']));
  const slcp = sc.seLinuxChangePolicy;
  if (slcp !== undefined && slcp !== null && slcp !== 'MountOption' && slcp !== 'Recursive') errs.push(fe.notSupported(child(path, 'seLinuxChangePolicy'), slcp, ['MountOption', 'Recursive']));
  return errs;
}

function containerList(v: unknown): Obj[] {
  return arr(v).map((c) => obj(c) ?? {});
}

/** ValidatePodSpec. `path` is the spec's own path, e.g. `spec` or `spec.template.spec`. */
export function validatePodSpec(specv: unknown, path: string, opts: PodValidationOptions = {}): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(specv) ?? {};
  const tgps = num(spec.terminationGracePeriodSeconds);
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) errs.push(fe.required(child(path, 'terminationGracePeriodSeconds')));
  const sc = obj(spec.securityContext);
  const hostUsers = sc?.hostUsers !== false;
  const { vols, errs: vErrs } = validateVolumes(spec.volumes, child(path, 'volumes'), opts);
  errs.push(...vErrs);
  const containers = containerList(spec.containers);
  const inits = containerList(spec.initContainers);
  errs.push(...validateContainers(containers, vols, tgps, child(path, 'containers'), hostUsers));
  errs.push(...validateInitContainers(inits, containers, vols, tgps, child(path, 'initContainers'), hostUsers));
  errs.push(...validateEphemeralContainers(containerList(spec.ephemeralContainers), containers, inits, vols, child(path, 'ephemeralContainers'), hostUsers));

  // hostNetwork: host ports must equal container ports (0 allowed in templates).
  if (spec.hostNetwork === true) {
    containers.forEach((ctr, i) => {
      arr(ctr.ports).forEach((p, j) => {
        const port = obj(p) ?? {};
        const hp = num(port.hostPort) ?? 0;
        const cp = num(port.containerPort) ?? 0;
        if ((opts.resourceIsPod || hp !== 0) && hp !== cp) {
          errs.push(fe.invalid(child(index(child(index(child(path, 'containers'), i), 'ports'), j), 'hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }

  const rp = str(spec.restartPolicy) ?? '';
  if (rp === '') errs.push(fe.required(child(path, 'restartPolicy')));
  else if (!['Always', 'OnFailure', 'Never'].includes(rp)) errs.push(fe.notSupported(child(path, 'restartPolicy'), rp, ['Always', 'OnFailure', 'Never']));
  const dp = str(spec.dnsPolicy) ?? '';
  if (dp === '') errs.push(fe.required(child(path, 'dnsPolicy')));
  else if (!['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(dp)) {
    errs.push(fe.notSupported(child(path, 'dnsPolicy'), dp, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']));
  }
  errs.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(spec.securityContext, child(path, 'securityContext'), spec.hostNetwork === true, spec.hostIPC === true));
  arr(spec.imagePullSecrets).forEach((s, i) => {
    const ref = obj(s) ?? {};
    if (Object.keys(ref).some((k) => k !== 'name')) errs.push(fe.invalid(index(child(path, 'imagePullSecrets'), i), ref, 'only name may be set'));
  });
  errs.push(...validateAffinity(spec.affinity, child(path, 'affinity')));
  errs.push(...validatePodDNSConfig(spec.dnsConfig, dp, child(path, 'dnsConfig')));
  arr(spec.readinessGates).forEach((g, i) => {
    const ct = str(obj(g)?.conditionType) ?? '';
    errs.push(...invalidEach(child(index(child(path, 'readinessGates'), i), 'conditionType'), ct, isQualifiedName(ct)));
  });
  const gates = new Set<string>();
  arr(spec.schedulingGates).forEach((g, i) => {
    const name = str(obj(g)?.name) ?? '';
    const p = index(child(path, 'schedulingGates'), i);
    errs.push(...invalidEach(p, name, isQualifiedName(name)));
    if (gates.has(name)) errs.push(fe.duplicate(p, name));
    gates.add(name);
  });
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, child(path, 'topologySpreadConstraints')));
  if (sc && sc.hostUsers === false) {
    if (spec.hostNetwork === true) errs.push(fe.forbidden(child(path, 'hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostPID === true) errs.push(fe.forbidden(child(path, 'HostPID'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostIPC === true) errs.push(fe.forbidden(child(path, 'HostIPC'), 'when `pod.Spec.HostUsers` is false'));
  }
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(fe.invalid(child(path, 'securityContext', 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  const san = str(spec.serviceAccountName) ?? '';
  if (san.length > 0) errs.push(...invalidEach(child(path, 'serviceAccountName'), san, nameIsDNSSubdomain(san, false)));
  const nodeName = str(spec.nodeName) ?? '';
  if (nodeName.length > 0) errs.push(...invalidEach(child(path, 'nodeName'), nodeName, nameIsDNSSubdomain(nodeName, false)));
  const ads = num(spec.activeDeadlineSeconds);
  if (ads !== undefined && (ads < 1 || ads > maxInt32)) errs.push(fe.invalid(child(path, 'activeDeadlineSeconds'), ads, inclusiveRangeError(1, maxInt32)));
  for (const f of ['hostname', 'subdomain']) {
    const v = str(spec[f]) ?? '';
    if (v.length > 0) errs.push(...invalidEach(child(path, f), v, isDNS1123Label(v)));
  }
  errs.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  arr(spec.hostAliases).forEach((h, i) => {
    const ha = obj(h) ?? {};
    const p = index(child(path, 'hostAliases'), i);
    const ip = str(ha.ip) ?? '';
    errs.push(...invalidEach(child(p, 'ip'), ip, isValidIP(ip)));
    arr(ha.hostnames).forEach((hn, j) => errs.push(...invalidEach(index(child(p, 'hostnames'), j), String(hn), isDNS1123Subdomain(String(hn)))));
  });
  const pcn = str(spec.priorityClassName) ?? '';
  if (pcn.length > 0) errs.push(...invalidEach(child(path, 'priorityClassName'), pcn, nameIsDNSSubdomain(pcn, false)));
  const rcn = str(spec.runtimeClassName);
  if (rcn !== undefined) errs.push(...invalidEach(child(path, 'runtimeClassName'), rcn, nameIsDNSSubdomain(rcn, false)));
  const pp = spec.preemptionPolicy;
  if (pp !== undefined && pp !== null) {
    if (pp === '') errs.push(fe.required(child(path, 'preemptionPolicy')));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(fe.notSupported(child(path, 'preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']));
  }
  if (obj(spec.overhead)) errs.push(...validateResourceRequirements({ limits: spec.overhead }, child(path, 'overhead')));
  const os = obj(spec.os);
  if (os && os.name !== 'linux' && os.name !== 'windows') errs.push(fe.notSupported(child(path, 'os', 'name'), os.name ?? '', ['linux', 'windows']));
  return errs;
}

/** ValidatePodTemplateSpec (`path` e.g. `spec.template`). Labels are reported at `<path>.labels`, as upstream. */
export function validatePodTemplateSpec(template: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const t = obj(template) ?? {};
  const meta = obj(t.metadata) ?? {};
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validatePodAnnotations(meta, t.spec, child(path, 'metadata')));
  errs.push(...validatePodSpec(t.spec, child(path, 'spec'), { resourceIsPod: false }));
  if (arr(obj(t.spec)?.ephemeralContainers).length > 0) errs.push(fe.forbidden(child(path, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  return errs;
}

/** Pod-only checks added on top of validatePodSpec for Pods (create and update). */
export function validatePodOnly(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  // (Ephemeral containers are checked by validateEphemeralContainers, as upstream.)
  for (const list of ['containers', 'initContainers']) {
    containerList(spec[list]).forEach((c, i) => errs.push(...imageWhitespace(c, index(child('spec', list), i))));
  }
  if (!str(spec.serviceAccountName)) {
    arr(spec.volumes).forEach((v, vi) => {
      arr(obj(obj(v)?.projected)?.sources).forEach((s, si) => {
        if (obj(obj(s)?.serviceAccountToken)) {
          errs.push(fe.forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  return errs;
}

export const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function describeSpecDiff(oldSpec: Obj, newSpec: Obj): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const lines = ['  core.PodSpec{'];
  for (const k of keys) {
    if (deepEqual(oldSpec[k], newSpec[k])) continue;
    if (oldSpec[k] !== undefined) lines.push(`- \t${k}: ${JSON.stringify(oldSpec[k])},`);
    if (newSpec[k] !== undefined) lines.push(`+ \t${k}: ${JSON.stringify(newSpec[k])},`);
  }
  lines.push('  }');
  return lines.join('\n');
}

/**
 * upstream's validateNodeSelectorMutation (gated pods): every stored key must keep its value;
 * keys may be added.
 */
function validateNodeSelectorMutation(path: string, newSel: unknown, oldSel: unknown): FieldError[] {
  const n = obj(newSel) ?? {};
  for (const [k, v] of Object.entries(obj(oldSel) ?? {})) {
    if (!Object.hasOwn(n, k) || n[k] !== v) return [fe.invalid(path, newSel ?? null, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)')];
  }
  return [];
}

/**
 * upstream's validateNodeSelectorTermHasOnlyAdditions: the new term keeps the stored
 * matchExpressions and matchFields as a prefix (in order) and may append to them; an empty
 * stored term (which matches no node) stays empty.
 */
function nodeSelectorTermHasOnlyAdditions(newTerm: Obj, oldTerm: Obj): boolean {
  const oldExprs = arr(oldTerm.matchExpressions);
  const oldFields = arr(oldTerm.matchFields);
  const newExprs = arr(newTerm.matchExpressions);
  const newFields = arr(newTerm.matchFields);
  if (oldExprs.length === 0 && oldFields.length === 0 && (newExprs.length > 0 || newFields.length > 0)) return false;
  for (const [olds, news] of [
    [oldExprs, newExprs],
    [oldFields, newFields],
  ] as const) {
    if (olds.length === 0) continue;
    if (news.length < olds.length || !deepEqual(news.slice(0, olds.length), olds)) return false;
  }
  return true;
}

/**
 * upstream's validateNodeAffinityMutation (gated pods): with no stored required node affinity
 * (or no stored terms) anything may be set; otherwise the number of nodeSelectorTerms is fixed
 * and each term may only gain requirements. preferredDuringScheduling may change freely.
 */
function validateNodeAffinityMutation(path: string, newNA: Obj | undefined, oldNA: Obj | undefined): FieldError[] {
  const oldReq = obj(oldNA?.requiredDuringSchedulingIgnoredDuringExecution);
  if (!oldReq) return [];
  const termsPath = child(path, 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms');
  const oldTerms = arr(oldReq.nodeSelectorTerms);
  const newTermsValue = obj(newNA?.requiredDuringSchedulingIgnoredDuringExecution)?.nodeSelectorTerms;
  const newTerms = arr(newTermsValue);
  if (oldTerms.length > 0 && oldTerms.length !== newTerms.length) {
    return [fe.invalid(termsPath, newTermsValue ?? null, 'no additions/deletions to non-empty NodeSelectorTerms list are allowed')];
  }
  const errs: FieldError[] = [];
  oldTerms.forEach((t, i) => {
    if (!nodeSelectorTermHasOnlyAdditions(obj(newTerms[i]) ?? {}, obj(t) ?? {})) {
      errs.push(fe.invalid(index(termsPath, i), newTerms[i] ?? null, 'only additions are allowed (no mutations or deletions)'));
    }
  });
  return errs;
}

/**
 * The spec part of ValidatePodUpdate: only images, activeDeadlineSeconds (tighten only),
 * tolerations (additions; tolerationSeconds may change) and schedulingGates (removals) may
 * change. While the stored pod is gated (has schedulingGates, KEP-3838), nodeSelector may gain
 * keys and required node affinity may be tightened (see the two mutation checks above).
 * `spec.nodeName` may also be set once while it is empty, an everynode decision kept from before
 * it served pods/binding (tools and manifests bind pods so here) — but, as upstream's binding,
 * not while the stored pod is gated. pods/binding is the upstream way and checks more.
 */
export function validatePodSpecUpdate(newSpecv: unknown, oldSpecv: unknown): FieldError[] {
  const errs: FieldError[] = [];
  const ns = obj(newSpecv) ?? {};
  const os = obj(oldSpecv) ?? {};
  for (const list of ['containers', 'initContainers']) {
    const nc = containerList(ns[list]);
    const oc = containerList(os[list]);
    if (nc.length !== oc.length) {
      errs.push(fe.forbidden(child('spec', list), 'pod updates may not add or remove containers'));
      return errs;
    }
    nc.forEach((c, i) => {
      const img = str(c.image) ?? '';
      if (img.length === 0) errs.push(fe.required(child(index(child('spec', list), i), 'image')));
    });
  }
  const nads = num(ns.activeDeadlineSeconds);
  const oads = num(os.activeDeadlineSeconds);
  if (nads !== undefined) {
    if (nads < 0 || nads > maxInt32) {
      errs.push(fe.invalid('spec.activeDeadlineSeconds', nads, inclusiveRangeError(0, maxInt32)));
      return errs;
    }
    if (oads !== undefined && oads < nads) {
      errs.push(fe.invalid('spec.activeDeadlineSeconds', nads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (oads !== undefined) {
    errs.push(fe.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  // Tolerations: every old toleration must still be present (tolerationSeconds may change).
  const newTols = arr(ns.tolerations).map((t) => obj(t) ?? {});
  for (const old of arr(os.tolerations)) {
    const o = obj(old) ?? {};
    const found = newTols.some((n) => deepEqual({ ...o, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) {
      errs.push(fe.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  // Scheduling gates: only removals.
  const oldGates = new Set(arr(os.schedulingGates).map((g) => str(obj(g)?.name) ?? ''));
  arr(ns.schedulingGates).forEach((g, i) => {
    const name = str(obj(g)?.name) ?? '';
    if (!oldGates.has(name)) errs.push(fe.forbidden(child(index('spec.schedulingGates', i), 'name'), `only deletion is allowed, but found new scheduling gate '${name}'`));
  });
  if (deepEqual(ns, os)) return errs;

  const munged = clone(ns);
  for (const list of ['containers', 'initContainers']) {
    const mc = containerList(munged[list]);
    const oc = containerList(os[list]);
    mc.forEach((c, i) => {
      if (oc[i]?.image !== undefined) c.image = oc[i]?.image;
      else delete c.image;
    });
  }
  if (os.activeDeadlineSeconds !== undefined) munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  else delete munged.activeDeadlineSeconds;
  munged.schedulingGates = os.schedulingGates;
  munged.tolerations = os.tolerations;
  const podIsGated = arr(os.schedulingGates).length > 0;
  if ((str(os.nodeName) ?? '') === '') {
    if (podIsGated && (str(ns.nodeName) ?? '') !== '') errs.push(fe.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
    munged.nodeName = os.nodeName;
  }
  const otg = num(os.terminationGracePeriodSeconds);
  if (otg !== undefined && otg < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = otg;
  if (podIsGated) {
    if (!deepEqual(munged.nodeSelector, os.nodeSelector)) {
      errs.push(...validateNodeSelectorMutation('spec.nodeSelector', munged.nodeSelector, os.nodeSelector));
      munged.nodeSelector = os.nodeSelector;
    }
    const oldNA = obj(obj(os.affinity)?.nodeAffinity);
    const mungedAffinity = obj(munged.affinity);
    const mungedNA = obj(mungedAffinity?.nodeAffinity);
    if (!deepEqual(oldNA, mungedNA)) {
      errs.push(...validateNodeAffinityMutation('spec.affinity.nodeAffinity', mungedNA, oldNA));
      // Put the stored node affinity back so that the comparison below judges the rest.
      if (!mungedAffinity) munged.affinity = { nodeAffinity: oldNA };
      else if (os.affinity === undefined && mungedAffinity.podAffinity === undefined && mungedAffinity.podAntiAffinity === undefined) delete munged.affinity;
      else mungedAffinity.nodeAffinity = oldNA;
    }
  }
  if (!deepEqual(munged, os)) {
    errs.push(fe.forbidden('spec', `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}\n${describeSpecDiff(os, munged)}`));
  }
  return errs;
}

/** The status part of ValidatePodStatusUpdate (conditions, nodeName, pod/host IPs). */
export function validatePodStatus(pod: Obj, oldPod: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const status = obj(pod.status) ?? {};
  const system = new Set(['PodScheduled', 'Ready', 'Initialized']);
  arr(status.conditions).forEach((c, i) => {
    const t = str(obj(c)?.type) ?? '';
    if (!system.has(t)) errs.push(...invalidEach(child(index('metadata.conditions', i), 'Type'), t, isQualifiedName(t)));
  });
  if ((str(obj(pod.spec)?.nodeName) ?? '') !== (str(obj(oldPod.spec)?.nodeName) ?? '')) errs.push(fe.forbidden('status.nodeName', 'may not be changed directly'));
  const nnn = str(status.nominatedNodeName) ?? '';
  if (nnn && nnn !== (str(obj(oldPod.status)?.nominatedNodeName) ?? '')) errs.push(...invalidEach('status.nominatedNodeName', nnn, nameIsDNSSubdomain(nnn, false)));
  for (const f of ['podIPs', 'hostIPs']) {
    const ips = arr(status[f]).map((x) => str(obj(x)?.ip) ?? '');
    ips.forEach((ip, i) => errs.push(...invalidEach(index(child('status', f), i), ip, isValidIP(ip))));
    const seen = new Set<string>();
    ips.forEach((ip, i) => {
      if (seen.has(ip)) errs.push(fe.duplicate(index(child('status', f), i), arr(status[f])[i]));
      seen.add(ip);
    });
    if (ips.length > 1) {
      const v4 = ips.filter((ip) => ip.includes('.') && !ip.includes(':')).length;
      if (ips.length > 2 || v4 !== 1) errs.push(fe.invalid(child('status', f), status[f], 'may specify no more than one IP for each IP family'));
    }
  }
  const hostIPs = arr(status.hostIPs);
  if (hostIPs.length > 0) {
    const first = str(obj(hostIPs[0])?.ip) ?? '';
    if ((str(status.hostIP) ?? '') !== first) errs.push(fe.invalid('status.hostIPs[0].ip', first, 'must be equal to `hostIP`'));
  }
  if (!deepEqual(obj(status)?.qosClass, obj(oldPod.status)?.qosClass) && obj(oldPod.status)?.qosClass !== undefined) {
    errs.push(fe.invalid('status.qosClass', status.qosClass ?? '', 'field is immutable'));
  }
  return errs;
}

