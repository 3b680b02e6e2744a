// The agent's events, as the kubelet records them: source component "kubelet", host = the
// node's name, about pods, their containers (`fieldPath` `spec.containers{NAME}`) and the Node.
// The recorder is src/client's ApiEventRecorder (client-go's correlation: repeats patch a
// count, similar events aggregate, a spam filter per object); this file adds the kubelet's
// references and node condition events.

import type { NodeStatus, ObjectReference, Pod } from '../api/types.js';
import { type ApiClient, ApiEventRecorder, type ApiEventRecorderOptions } from '../client/index.js';

export type { EventType } from '../client/index.js';

export const kubeletComponent = 'kubelet';

export interface KubeletEventRecorderOptions extends Omit<ApiEventRecorderOptions, 'component' | 'host' | 'defaultKind'> {
  client: ApiClient;
  /** The node's name: source.host and reportingInstance. */
  host: string;
  /** source.component and reportingComponent; default "kubelet". */
  component?: string;
}

/** The kubelet's recorder: an ApiEventRecorder with the kubelet's source. */
export class KubeletEventRecorder extends ApiEventRecorder {
  constructor(o: KubeletEventRecorderOptions) {
    const { client, component, ...rest } = o;
    super(client, { ...rest, component: component ?? kubeletComponent });
  }
}

/** The reference of a pod (kind, apiVersion, namespace, name, uid, resourceVersion). */
export function podReference(pod: Pod): ObjectReference {
  const ref: ObjectReference = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '', apiVersion: 'v1' };
  if (pod.metadata.resourceVersion) ref.resourceVersion = pod.metadata.resourceVersion;
  return ref;
}

/**
 * The reference of one container of a pod: the pod's, with fieldPath `spec.containers{NAME}`
 * (`spec.initContainers{NAME}` for an init container, `spec.ephemeralContainers{NAME}` for an
 * ephemeral one), as upstream's GenerateContainerRef.
 */
export function containerReference(pod: Pod, containerName: string): ObjectReference {
  const list = (pod.spec.initContainers ?? []).some((c) => c.name === containerName)
    ? 'initContainers'
    : (pod.spec.ephemeralContainers ?? []).some((c) => c.name === containerName)
      ? 'ephemeralContainers'
      : 'containers';
  return { ...podReference(pod), fieldPath: `spec.${list}{${containerName}}` };
}

/**
 * The kubelet's reference of its Node: kind Node, the node's name, and its name as uid (not the
 * Node's uid, which the kubelet may not know yet; `kubectl describe node` looks for both).
 */
export function nodeReference(nodeName: string): ObjectReference {
  return { kind: 'Node', name: nodeName, uid: nodeName };
}

/** Upstream's message of a node condition or schedulability event. */
export function nodeStatusEventMessage(nodeName: string, reason: string): string {
  return `Node ${nodeName} status is now: ${reason}`;
}

/** The node condition events the kubelet records when a condition takes a new status. */
const conditionEvents: Record<string, Partial<Record<string, string>>> = {
  MemoryPressure: { False: 'NodeHasSufficientMemory', True: 'NodeHasInsufficientMemory' },
  DiskPressure: { False: 'NodeHasNoDiskPressure', True: 'NodeHasDiskPressure' },
  PIDPressure: { False: 'NodeHasSufficientPID', True: 'NodeHasInsufficientPID' },
  Ready: { True: 'NodeReady', False: 'NodeNotReady' },
};

/**
 * Reasons of the events a node status write implies, in upstream's order (memory, disk, PID,
 * Ready): one per condition whose status differs from the stored one (or that was missing, as
 * at registration, or Unknown after the node lifecycle controller lost the node).
 */
export function nodeConditionEventReasons(stored: NodeStatus | undefined, written: NodeStatus | undefined): string[] {
  const out: string[] = [];
  for (const [type, byStatus] of Object.entries(conditionEvents)) {
    const next = written?.conditions?.find((c) => c.type === type);
    if (!next) continue;
    const prev = stored?.conditions?.find((c) => c.type === type);
    if (prev?.status === next.status) continue;
    const reason = byStatus[next.status];
    if (reason) out.push(reason);
  }
  return out;
}
