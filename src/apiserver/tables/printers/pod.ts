// Pod rows: Name, Ready, Status, Restarts, Age; wide: IP, Node, Nominated Node, Readiness Gates.
//
// The Status cell reproduces upstream printPod's reason computation:
//  1. start from status.reason, else status.phase; a PodScheduled condition with reason
//     SchedulingGated overrides it;
//  2. walk init container statuses in order and stop at the first one that is neither
//     terminated with exit code 0 nor a started restartable (sidecar) init container:
//     it yields Init:<reason>, Init:Signal:n, Init:ExitCode:n or Init:i/n;
//  3. when not initializing (or the Initialized condition is True) walk the regular
//     container statuses from last to first; a waiting or terminated reason overrides, so the
//     first container's state wins; a Completed pod with a running container reads Running
//     (NotReady without a Ready condition);
//  4. a deleted pod reads Terminating (Unknown when status.reason is NodeLost) unless its
//     phase is terminal.
// Restarts counts restartable init containers plus regular containers (or all init
// containers while initializing) and appends "(<age> ago)" of the latest lastState
// termination.

import type { TablePrinter, TableRowCondition } from '../types.js';
import { humanDuration, parseTimestamp, translateTimestampSince } from '../duration.js';
import { int, list, rec, str, type Obj } from '../format.js';
import { ageColumn, col, nameColumn, wide } from './columns.js';

const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

function isRestartableInitContainer(c: Obj | undefined): boolean {
  return c !== undefined && c['restartPolicy'] === 'Always';
}

function hasCondition(conditions: Obj[], type: string): boolean {
  return conditions.some((c) => c['type'] === type && c['status'] === 'True');
}

interface LastRestart {
  at: number | undefined; // epoch ms; undefined = zero time
}

function noteTermination(last: LastRestart, containerStatus: Obj): void {
  const terminated = rec(containerStatus['lastState'])['terminated'];
  if (terminated === undefined || terminated === null) return;
  const at = parseTimestamp(rec(terminated)['finishedAt']);
  if (at !== undefined && (last.at === undefined || last.at < at)) last.at = at;
}

export const podPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'Container restarts in this pod, and when the last one happened.'),
    ageColumn(),
    col('IP', 'string', 'The first IP address allocated to the pod.', wide),
    col('Node', 'string', 'The node the pod is bound to.', wide),
    col('Nominated Node', 'string', 'The node the scheduler nominated for preemption.', wide),
    col('Readiness Gates', 'string', 'True readiness gate conditions out of all gates.', wide),
  ],

  conditions(pod: Obj): TableRowCondition[] | undefined {
    const phase = rec(pod['status'])['phase'];
    if (phase === 'Succeeded') {
      return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    }
    if (phase === 'Failed') {
      return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    }
    return undefined;
  },

  cells(pod: Obj, { now }) {
    const meta = rec(pod['metadata']);
    const spec = rec(pod['spec']);
    const status = rec(pod['status']);
    const conditions = list(status['conditions']).map(rec);
    const specInit = list(spec['initContainers']).map(rec);
    const initByName = new Map<string, Obj>(specInit.map((c) => [str(c['name']), c]));

    let restarts = 0;
    let restartableInitRestarts = 0;
    let totalContainers = list(spec['containers']).length;
    let readyContainers = 0;
    let lastRestart: LastRestart = { at: undefined };
    const lastRestartableInitRestart: LastRestart = { at: undefined };

    const phase = str(status['phase']);
    let reason = str(status['reason']) || phase;
    for (const c of conditions) {
      if (c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated') reason = 'SchedulingGated';
    }

    for (const c of specInit) if (isRestartableInitContainer(c)) totalContainers++;

    let initializing = false;
    const initStatuses = list(status['initContainerStatuses']).map(rec);
    for (let i = 0; i < initStatuses.length; i++) {
      const cs = initStatuses[i]!;
      const restartable = isRestartableInitContainer(initByName.get(str(cs['name'])));
      restarts += int(cs['restartCount']);
      noteTermination(lastRestart, cs);
      if (restartable) {
        restartableInitRestarts += int(cs['restartCount']);
        noteTermination(lastRestartableInitRestart, cs);
      }
      const state = rec(cs['state']);
      const terminated = state['terminated'] != null ? rec(state['terminated']) : undefined;
      const waiting = state['waiting'] != null ? rec(state['waiting']) : undefined;
      if (terminated && int(terminated['exitCode']) === 0) continue;
      if (restartable && cs['started'] === true) {
        if (cs['ready'] === true) readyContainers++;
        continue;
      }
      if (terminated) {
        const r = str(terminated['reason']);
        if (r === '') {
          const signal = int(terminated['signal']);
          reason = signal !== 0 ? `Init:Signal:${signal}` : `Init:ExitCode:${int(terminated['exitCode'])}`;
        } else {
          reason = `Init:${r}`;
        }
      } else if (waiting && str(waiting['reason']) !== '' && waiting['reason'] !== 'PodInitializing') {
        reason = `Init:${str(waiting['reason'])}`;
      } else {
        reason = `Init:${i}/${specInit.length}`;
      }
      initializing = true;
      break;
    }

    if (!initializing || hasCondition(conditions, 'Initialized')) {
      restarts = restartableInitRestarts;
      lastRestart = { at: lastRestartableInitRestart.at };
      let hasRunning = false;
      const statuses = list(status['containerStatuses']).map(rec);
      for (let i = statuses.length - 1; i >= 0; i--) {
        const cs = statuses[i]!;
        restarts += int(cs['restartCount']);
        noteTermination(lastRestart, cs);
        const state = rec(cs['state']);
        const terminated = state['terminated'] != null ? rec(state['terminated']) : undefined;
        const waiting = state['waiting'] != null ? rec(state['waiting']) : undefined;
        if (waiting && str(waiting['reason']) !== '') {
          reason = str(waiting['reason']);
        } else if (terminated && str(terminated['reason']) !== '') {
          reason = str(terminated['reason']);
        } else if (terminated) {
          const signal = int(terminated['signal']);
          reason = signal !== 0 ? `Signal:${signal}` : `ExitCode:${int(terminated['exitCode'])}`;
        } else if (cs['ready'] === true && state['running'] != null) {
          hasRunning = true;
          readyContainers++;
        }
      }
      if (reason === 'Completed' && hasRunning) {
        reason = hasCondition(conditions, 'Ready') ? 'Running' : 'NotReady';
      }
    }

    if (meta['deletionTimestamp'] != null && status['reason'] === NODE_UNREACHABLE_POD_REASON) {
      reason = 'Unknown';
    } else if (meta['deletionTimestamp'] != null && phase !== 'Succeeded' && phase !== 'Failed') {
      reason = 'Terminating';
    }

    let restartsCell = String(restarts);
    if (restarts !== 0 && lastRestart.at !== undefined) {
      restartsCell = `${restarts} (${humanDuration(now.getTime() - lastRestart.at)} ago)`;
    }

    const podIPs = list(status['podIPs']).map(rec);
    const podIP = str(podIPs[0]?.['ip']) || str(status['podIP']) || '<none>';
    const nodeName = str(spec['nodeName']) || '<none>';
    const nominated = str(status['nominatedNodeName']) || '<none>';
    let readinessGates = '<none>';
    const gates = list(spec['readinessGates']).map(rec);
    if (gates.length > 0) {
      let trueConditions = 0;
      for (const g of gates) {
        const c = conditions.find((c) => c['type'] === g['conditionType']);
        if (c && c['status'] === 'True') trueConditions++;
      }
      readinessGates = `${trueConditions}/${gates.length}`;
    }

    return [
      str(meta['name']),
      `${readyContainers}/${totalContainers}`,
      reason,
      restartsCell,
      translateTimestampSince(meta['creationTimestamp'], now),
      podIP,
      nodeName,
      nominated,
      readinessGates,
    ];
  },
};
