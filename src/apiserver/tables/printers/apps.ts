// apps group rows: DaemonSet and ControllerRevision.

import type { TablePrinter } from '../types.js';
import { translateTimestampSince } from '../duration.js';
import {
  controllerOf,
  formatLabels,
  formatLabelSelector,
  formatResourceName,
  int,
  layoutContainerCells,
  rec,
  str,
  type Obj,
} from '../format.js';
import { ageColumn, col, nameColumn, templateColumns } from './columns.js';

/** Name, Desired, Current, Ready, Up-to-date, Available, Node Selector, Age; wide: Containers, Images, Selector. */
export const daemonSetPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Desired', 'integer', 'Number of nodes that should run the daemon pod (status.desiredNumberScheduled).'),
    col('Current', 'integer', 'Number of nodes running at least one daemon pod (status.currentNumberScheduled).'),
    col('Ready', 'integer', 'Number of nodes with a ready daemon pod (status.numberReady).'),
    col('Up-to-date', 'integer', 'Number of nodes running the updated daemon pod (status.updatedNumberScheduled).'),
    col('Available', 'integer', 'Number of nodes with an available daemon pod (status.numberAvailable).'),
    col('Node Selector', 'string', 'The pod template nodeSelector.'),
    ageColumn(),
    ...templateColumns('Label selector of the pods the DaemonSet manages.'),
  ],
  cells(ds: Obj, { now }) {
    const meta = rec(ds['metadata']);
    const spec = rec(ds['spec']);
    const status = rec(ds['status']);
    const podSpec = rec(rec(spec['template'])['spec']);
    const [names, images] = layoutContainerCells(podSpec['containers']);
    return [
      str(meta['name']),
      int(status['desiredNumberScheduled']),
      int(status['currentNumberScheduled']),
      int(status['numberReady']),
      int(status['updatedNumberScheduled']),
      int(status['numberAvailable']),
      formatLabels(podSpec['nodeSelector']),
      translateTimestampSince(meta['creationTimestamp'], now),
      names,
      images,
      formatLabelSelector(spec['selector']),
    ];
  },
};

/** Name, Controller (`daemonset.apps/x`, `<none>` without a controller ref), Revision, Age. */
export const controllerRevisionPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    col('Controller', 'string', 'Controller of the object'),
    // Upstream declares the column as a string but fills it with the integer revision.
    col('Revision', 'string', 'Revision number of the state this object represents.'),
    ageColumn(),
  ],
  cells(cr: Obj, { now }) {
    const meta = rec(cr['metadata']);
    const ref = controllerOf(meta);
    const controller = ref ? formatResourceName(str(ref['apiVersion']), str(ref['kind']), str(ref['name'])) : '<none>';
    return [str(meta['name']), controller, int(cr['revision']), translateTimestampSince(meta['creationTimestamp'], now)];
  },
};
