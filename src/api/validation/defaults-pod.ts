// core/v1 defaulting for PodSpec (pod templates and Pods) and Pod-only defaults, restated from
// pkg/apis/core/v1/defaults.go. All functions mutate in place and are idempotent.

import { volumeSourceKeys } from './pod-spec.js';
import { arr, ensureObj, isObj, obj, str, type Obj } from './util.js';

/**
 * The tag of an image reference; `latest` when there is neither tag nor digest, '' when there
 * is only a digest. A ':' in the registry host (`host:5000/x`) is not a tag.
 */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon >= 0) return name.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultHTTPGet(h: Obj | undefined): void {
  const g = obj(h?.httpGet);
  if (!g) return;
  if (!str(g.path)) g.path = '/';
  if (!str(g.scheme)) g.scheme = 'HTTP';
}

function defaultProbe(p: unknown): void {
  const probe = obj(p);
  if (!probe) return;
  if (!probe.timeoutSeconds) probe.timeoutSeconds = 1;
  if (!probe.periodSeconds) probe.periodSeconds = 10;
  if (!probe.successThreshold) probe.successThreshold = 1;
  if (!probe.failureThreshold) probe.failureThreshold = 3;
  defaultHTTPGet(probe);
}

function defaultFieldRef(ref: unknown): void {
  const r = obj(ref);
  if (r && !str(r.apiVersion)) r.apiVersion = 'v1';
}

/**
 * A resourceFieldRef without divisor reads back with `divisor: "0"`, as upstream serves it (its
 * Divisor is a Quantity value, never omitted), so kubectl's copy of a template (rollout undo)
 * matches the stored one. Zero means the default unit, 1 (the kubelet's rule).
 */
function defaultResourceFieldRef(ref: unknown): void {
  const r = obj(ref);
  if (r && (r.divisor === undefined || r.divisor === null)) r.divisor = '0';
}

function defaultContainer(c: Obj): void {
  if (!str(c.imagePullPolicy)) c.imagePullPolicy = imageTag(str(c.image) ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  if (!str(c.terminationMessagePath)) c.terminationMessagePath = '/dev/termination-log';
  if (!str(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  for (const p of arr(c.ports)) {
    const port = obj(p);
    if (port && !str(port.protocol)) port.protocol = 'TCP';
  }
  for (const e of arr(c.env)) {
    const from = obj(obj(e)?.valueFrom);
    defaultFieldRef(from?.fieldRef);
    defaultResourceFieldRef(from?.resourceFieldRef);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lc = obj(c.lifecycle);
  if (lc) {
    defaultHTTPGet(obj(lc.postStart));
    defaultHTTPGet(obj(lc.preStop));
  }
}

function defaultDownwardAPIItems(items: unknown): void {
  for (const it of arr(items)) {
    defaultFieldRef(obj(it)?.fieldRef);
    defaultResourceFieldRef(obj(it)?.resourceFieldRef);
  }
}

function defaultVolume(v: Obj): void {
  if (!volumeSourceKeys.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = obj(v[k]);
    if (src && (src.defaultMode === undefined || src.defaultMode === null)) src.defaultMode = 0o644;
  }
  const hp = obj(v.hostPath);
  if (hp && (hp.type === undefined || hp.type === null)) hp.type = '';
  defaultDownwardAPIItems(obj(v.downwardAPI)?.items);
  for (const s of arr(obj(v.projected)?.sources)) {
    const src = obj(s);
    if (!src) continue;
    defaultDownwardAPIItems(obj(src.downwardAPI)?.items);
    const sat = obj(src.serviceAccountToken);
    if (sat && (sat.expirationSeconds === undefined || sat.expirationSeconds === null)) sat.expirationSeconds = 3600;
  }
}

/** SetDefaults_PodSpec plus the nested container/volume/probe defaults (templates and Pods). */
export function setPodSpecDefaults(specv: unknown): void {
  const spec = obj(specv);
  if (!spec) return;
  if (!str(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (!str(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (!str(spec.schedulerName)) spec.schedulerName = 'default-scheduler';
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of arr(spec[list])) {
      const ctr = obj(c);
      if (ctr) defaultContainer(ctr);
    }
  }
  for (const v of arr(spec.volumes)) {
    const vol = obj(v);
    if (vol) defaultVolume(vol);
  }
}

/** SetDefaults_DaemonSet's template part: metadata object present, then the PodSpec defaults. */
export function setPodTemplateDefaults(templatev: unknown): void {
  const t = obj(templatev);
  if (!t) return;
  setPodSpecDefaults(ensureObj(t, 'spec'));
}

/**
 * Pod-only defaults (SetDefaults_Pod): requests default to limits per resource,
 * enableServiceLinks true, and with hostNetwork a container port's hostPort defaults to its
 * containerPort. Also applies setPodSpecDefaults.
 */
export function setPodDefaults(pod: Obj): void {
  const spec = ensureObj(pod, 'spec');
  setPodSpecDefaults(spec);
  for (const list of ['containers', 'initContainers']) {
    for (const c of arr(spec[list])) {
      const ctr = obj(c);
      const res = obj(ctr?.resources);
      const limits = obj(res?.limits);
      if (!ctr || !res || !limits || Object.keys(limits).length === 0) continue;
      const requests = ensureObj(res, 'requests');
      for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
    }
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const list of ['containers', 'initContainers']) {
      for (const c of arr(spec[list])) {
        for (const p of arr(obj(c)?.ports)) {
          const port = obj(p);
          if (port && !port.hostPort) port.hostPort = port.containerPort;
        }
      }
    }
  }
}
