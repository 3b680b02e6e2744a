// PodControl: the side effects a workload controller performs on pods, behind one seam so
// tests can record them (upstream controller_utils.go RealPodControl semantics, events included).

import type { KubeObject, OwnerReference, Pod, PodTemplateSpec } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { hasStatusCause, isNotFound } from './errors.js';
import type { EventRecorder } from './event-recorder.js';
import { podsResource } from './resources.js';

export const namespaceTerminatingCause = 'NamespaceTerminating';

export interface PodControl {
  /** Creates one pod from `template` owned by `controllerRef`; records SuccessfulCreate/FailedCreate on `controller`. */
  createPods(namespace: string, template: PodTemplateSpec, controller: KubeObject, controllerRef: OwnerReference): Promise<void>;
  /** Deletes a pod; records SuccessfulDelete, or FailedDelete unless the error is NotFound. */
  deletePod(namespace: string, name: string, controller: KubeObject): Promise<void>;
  patchPod(namespace: string, name: string, patch: unknown): Promise<void>;
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `<name>-` when that is a usable generateName prefix, else the bare name (upstream getPodsPrefix). */
export function podsPrefix(controllerName: string): string {
  const prefix = `${controllerName}-`;
  return dns1123Subdomain.test(prefix.slice(0, -1)) && prefix.length <= 253 ? prefix : controllerName;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T);
}

/** The pod a controller creates from a template (upstream GetPodFromTemplate); it shares nothing with `template`. */
export function getPodFromTemplate(template: PodTemplateSpec, controller: KubeObject, controllerRef?: OwnerReference): Pod {
  return podFromTemplate(template, controller, controllerRef, clone(template.spec));
}

/** getPodFromTemplate with `spec` as the pod's spec (the metadata is always the pod's own). */
function podFromTemplate(template: PodTemplateSpec, controller: KubeObject, controllerRef: OwnerReference | undefined, spec: PodTemplateSpec['spec']): Pod {
  const tm = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: podsPrefix(controller.metadata.name ?? '') },
    spec,
  };
  if (tm.labels) pod.metadata.labels = { ...tm.labels };
  if (tm.annotations) pod.metadata.annotations = { ...tm.annotations };
  if (tm.finalizers) pod.metadata.finalizers = [...tm.finalizers];
  if (controllerRef) pod.metadata.ownerReferences = [{ ...controllerRef }];
  return pod;
}

export class RealPodControl implements PodControl {
  constructor(
    private readonly client: ApiClient,
    private readonly recorder: EventRecorder,
  ) {}

  async createPods(namespace: string, template: PodTemplateSpec, controller: KubeObject, controllerRef: OwnerReference): Promise<void> {
    // The pod shares the template's spec: it only goes to the client, which sends it and
    // mutates nothing it is given (ApiClient contract), so no copy is needed.
    const pod = podFromTemplate(template, controller, controllerRef, template.spec);
    if (!pod.metadata.labels || Object.keys(pod.metadata.labels).length === 0) {
      throw new Error('unable to create pods, no labels');
    }
    pod.metadata.namespace = namespace;
    let created: Pod;
    try {
      created = await this.client.create<Pod>(podsResource, namespace, pod);
    } catch (e) {
      if (!hasStatusCause(e, namespaceTerminatingCause)) {
        this.recorder.event(controller, 'Warning', 'FailedCreate', `Error creating: ${e instanceof Error ? e.message : String(e)}`);
      }
      throw e;
    }
    this.recorder.event(controller, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name ?? ''}`);
  }

  async deletePod(namespace: string, name: string, controller: KubeObject): Promise<void> {
    try {
      await this.client.delete(podsResource, namespace, name);
    } catch (e) {
      if (!isNotFound(e)) {
        this.recorder.event(controller, 'Warning', 'FailedDelete', `Error deleting: ${e instanceof Error ? e.message : String(e)}`);
      }
      throw e;
    }
    this.recorder.event(controller, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  }

  async patchPod(namespace: string, name: string, patch: unknown): Promise<void> {
    await this.client.patch(podsResource, namespace, name, 'strategic', patch);
  }
}
