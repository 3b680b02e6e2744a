// apps/v1 DaemonSet, ControllerRevision, and Deployment and ReplicaSet (stored and served, not
// run: everynode runs DaemonSets; manifests that ship a Deployment beside their DaemonSet still
// apply, and tools that list every workload kind, such as `kubectl cluster-info dump`, work).

import {
  APPS, CORE, RAW_EXTENSION,
  bool, condition, int32, int64, intOrString, keyedList, labelSelector, listOf, obj, objectMeta, ref, str, time, typeMeta, withPatchStrategy,
  type Definitions,
} from './dsl.js';

const r = (name: string, description?: string) => ref(APPS + name, description);

export const appsDefinitions: Definitions = {
  [APPS + 'DaemonSet']: obj('Runs a copy of a pod on every eligible node.', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('DaemonSetSpec', 'Desired behaviour of the daemon set.'),
    status: r('DaemonSetStatus', 'Most recently observed status of the daemon set. Read-only.'),
  }),
  [APPS + 'DaemonSetList']: listOf(APPS + 'DaemonSet', 'daemon sets'),
  [APPS + 'DaemonSetSpec']: obj('Desired behaviour of a daemon set.', {
    selector: labelSelector('Selects the pods the daemon set owns; must match the template labels. Cannot be changed.'),
    template: ref(CORE + 'PodTemplateSpec', 'Template of the pod created on each eligible node (nodeSelector and affinity restrict the nodes). Its restartPolicy must be Always.'),
    updateStrategy: r('DaemonSetUpdateStrategy', 'How existing pods are replaced when the template changes.'),
    minReadySeconds: int32('Seconds a new pod must be ready, without any container crashing, before it counts as available. Default 0.'),
    revisionHistoryLimit: int32('Number of old ControllerRevisions kept for rollback. Default 10.'),
  }, ['selector', 'template']),
  [APPS + 'DaemonSetUpdateStrategy']: obj('Update strategy of a daemon set.', {
    type: str('RollingUpdate (default) or OnDelete (replace a pod only when it is deleted).'),
    rollingUpdate: r('RollingUpdateDaemonSet', 'Rolling update parameters; only with type RollingUpdate.'),
  }),
  [APPS + 'RollingUpdateDaemonSet']: obj('Parameters of a rolling update.', {
    maxUnavailable: intOrString('Most nodes whose daemon pod may be unavailable during the update: a number or a percentage of the desired pods (rounded up). Default 1; 0 only when maxSurge is not 0.'),
    maxSurge: intOrString('Most nodes that may run an extra, updated pod during the update before the old one is removed: a number or a percentage (rounded up). Default 0.'),
  }),
  [APPS + 'DaemonSetStatus']: obj('Observed status of a daemon set.', {
    currentNumberScheduled: int32('Nodes running at least one daemon pod that should run it.'),
    numberMisscheduled: int32('Nodes running a daemon pod that should not run it.'),
    desiredNumberScheduled: int32('Nodes that should run the daemon pod.'),
    numberReady: int32('Nodes whose daemon pod is ready.'),
    observedGeneration: int64('Most recent generation the controller has observed.'),
    updatedNumberScheduled: int32('Nodes running the updated daemon pod.'),
    numberAvailable: int32('Nodes whose daemon pod has been ready for at least minReadySeconds.'),
    numberUnavailable: int32('Nodes that should run the daemon pod but have none available.'),
    collisionCount: int32('Count of hash collisions, used to make the names of new ControllerRevisions unique.'),
    conditions: keyedList(r('DaemonSetCondition'), 'type', 'Latest observations of the daemon set state.'),
  }, ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady']),
  [APPS + 'DaemonSetCondition']: condition('a daemon set'),

  [APPS + 'ControllerRevision']: obj('An immutable snapshot of state data (for daemon sets: the pod template patch) used for rollback.', {
    ...typeMeta(),
    metadata: objectMeta(),
    data: ref(RAW_EXTENSION, 'The serialized state of this revision.'),
    revision: int64('Revision number of the state in data.'),
  }, ['revision']),
  [APPS + 'ControllerRevisionList']: listOf(APPS + 'ControllerRevision', 'controller revisions'),

  [APPS + 'Deployment']: obj('Declares replicated pods and their rolling updates (everynode stores Deployments but does not run them).', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('DeploymentSpec', 'Desired behaviour of the deployment.'),
    status: r('DeploymentStatus', 'Most recently observed status of the deployment. Read-only.'),
  }),
  [APPS + 'DeploymentList']: listOf(APPS + 'Deployment', 'deployments'),
  [APPS + 'DeploymentSpec']: obj('Desired behaviour of a deployment.', {
    replicas: int32('Number of desired pods. Default 1.'),
    selector: labelSelector('Selects the pods the deployment owns; must match the template labels.'),
    template: ref(CORE + 'PodTemplateSpec', 'Template of the pods. Its restartPolicy must be Always.'),
    strategy: withPatchStrategy(r('DeploymentStrategy', 'How existing pods are replaced by new ones.'), 'retainKeys'),
    minReadySeconds: int32('Seconds a new pod must be ready before it counts as available. Default 0.'),
    revisionHistoryLimit: int32('Number of old replica sets kept for rollback. Default 10.'),
    paused: bool('Whether the deployment is paused.'),
    progressDeadlineSeconds: int32('Seconds a rollout may make no progress before it is reported as failed. Default 600.'),
  }, ['selector', 'template']),
  [APPS + 'DeploymentStrategy']: obj('How a deployment replaces its pods.', {
    type: str('Recreate or RollingUpdate (default).'),
    rollingUpdate: r('RollingUpdateDeployment', 'Rolling update parameters; only with type RollingUpdate.'),
  }),
  [APPS + 'RollingUpdateDeployment']: obj('Parameters of a deployment\'s rolling update.', {
    maxUnavailable: intOrString('Most pods that may be unavailable during the update: a number or a percentage (rounded down). Default 25%.'),
    maxSurge: intOrString('Most pods that may be created above the desired number: a number or a percentage (rounded up). Default 25%.'),
  }),
  [APPS + 'DeploymentStatus']: obj('Observed status of a deployment.', {
    observedGeneration: int64('Most recent generation observed.'),
    replicas: int32('Pods targeted by the deployment.'),
    updatedReplicas: int32('Pods on the desired template.'),
    readyReplicas: int32('Pods that are ready.'),
    availableReplicas: int32('Pods available for at least minReadySeconds.'),
    unavailableReplicas: int32('Pods still needed for 100% availability.'),
    terminatingReplicas: int32('Pods being terminated.'),
    conditions: keyedList(r('DeploymentCondition'), 'type', 'Latest observations of the deployment state.'),
    collisionCount: int32('Count of hash collisions of its replica sets.'),
  }),
  [APPS + 'DeploymentCondition']: condition('a deployment', { lastUpdateTime: time('Last time this condition was updated.') }),

  [APPS + 'ReplicaSet']: obj('Keeps a number of replicated pods (everynode stores ReplicaSets but does not run them).', {
    ...typeMeta(),
    metadata: objectMeta(),
    spec: r('ReplicaSetSpec', 'Desired behaviour of the replica set.'),
    status: r('ReplicaSetStatus', 'Most recently observed status of the replica set. Read-only.'),
  }),
  [APPS + 'ReplicaSetList']: listOf(APPS + 'ReplicaSet', 'replica sets'),
  [APPS + 'ReplicaSetSpec']: obj('Desired behaviour of a replica set.', {
    replicas: int32('Number of desired pods. Default 1.'),
    minReadySeconds: int32('Seconds a new pod must be ready before it counts as available. Default 0.'),
    selector: labelSelector('Selects the pods the replica set owns; must match the template labels.'),
    template: ref(CORE + 'PodTemplateSpec', 'Template of the pods. Its restartPolicy must be Always.'),
  }, ['selector']),
  [APPS + 'ReplicaSetStatus']: obj('Observed status of a replica set.', {
    replicas: int32('Most recently observed number of pods.'),
    fullyLabeledReplicas: int32('Pods whose labels match the template labels.'),
    readyReplicas: int32('Pods that are ready.'),
    availableReplicas: int32('Pods available for at least minReadySeconds.'),
    terminatingReplicas: int32('Pods being terminated.'),
    observedGeneration: int64('Most recent generation observed.'),
    conditions: keyedList(r('ReplicaSetCondition'), 'type', 'Latest observations of the replica set state.'),
  }, ['replicas']),
  [APPS + 'ReplicaSetCondition']: condition('a replica set'),
};
