// Event (core/v1) rows, columns in upstream order:
// Last Seen, Type, Reason, Object, Subobject(w), Source(w), Message, First Seen(w), Count(w), Name(w).
//
// First Seen falls back to eventTime when firstTimestamp is unset; Last Seen falls back to
// First Seen, and a series overrides it with series.lastObservedTime (and the count with
// series.count). A count of 0 prints as 1 (singleton events of the events.k8s.io API).
// Object is `<lower-cased kind>/<name>`, or just the kind without a name.

import type { TablePrinter } from '../types.js';
import { translateTimestampSince, parseTimestamp } from '../duration.js';
import { int, rec, str, type Obj } from '../format.js';
import { col, wide } from './columns.js';

function formatSource(ev: Obj): string {
  const source = rec(ev['source']);
  const component = str(source['component']) || str(ev['reportingComponent']);
  const instance = str(source['host']) || str(ev['reportingInstance']);
  return instance === '' ? component : `${component}, ${instance}`;
}

export const eventPrinter: TablePrinter = {
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning).'),
    col('Reason', 'string', 'Short, machine understandable reason for the event.'),
    col('Object', 'string', 'The object this event is about.'),
    col('Subobject', 'string', 'The field of the involved object the event is about.', wide),
    col('Source', 'string', 'The component (and host) reporting this event.', wide),
    col('Message', 'string', 'A human-readable description of the event.'),
    col('First Seen', 'string', 'The time at which the event was first recorded.', wide),
    col('Count', 'string', 'The number of times this event has occurred.', wide),
    col('Name', 'string', 'Name of the event object.', wide, 'name'),
  ],
  cells(ev: Obj, { now }) {
    const meta = rec(ev['metadata']);
    const involved = rec(ev['involvedObject']);

    const firstSeen =
      parseTimestamp(ev['firstTimestamp']) !== undefined
        ? translateTimestampSince(ev['firstTimestamp'], now)
        : translateTimestampSince(ev['eventTime'], now);
    let lastSeen =
      parseTimestamp(ev['lastTimestamp']) !== undefined ? translateTimestampSince(ev['lastTimestamp'], now) : firstSeen;

    let count = int(ev['count']);
    const series = ev['series'];
    if (series !== undefined && series !== null) {
      lastSeen = translateTimestampSince(rec(series)['lastObservedTime'], now);
      count = int(rec(series)['count']);
    } else if (count === 0) {
      count = 1;
    }

    const kind = str(involved['kind']).toLowerCase();
    const name = str(involved['name']);
    const target = name !== '' ? `${kind}/${name}` : kind;

    return [
      lastSeen,
      str(ev['type']),
      str(ev['reason']),
      target,
      str(involved['fieldPath']),
      formatSource(ev),
      str(ev['message']).trim(),
      firstSeen,
      count,
      str(meta['name']),
    ];
  },
};
