// events.k8s.io/v1 Event: the core v1 Event's objects in the newer events API's shape (see
// src/api/events-v1.ts for the field mapping).

import {
  CORE,
  EVENTS,
  int32, listOf, microTime, obj, objectMeta, ref, str, time, typeMeta,
  type Definitions,
} from './dsl.js';

export const eventsDefinitions: Definitions = {
  [EVENTS + 'Event']: obj('A report of an event somewhere in the cluster, as the events.k8s.io API shows it (the same objects as core v1 Events).', {
    ...typeMeta(),
    metadata: objectMeta(),
    eventTime: microTime('When the event was first observed. Required.'),
    series: ref(EVENTS + 'EventSeries', 'Data about the series this event represents, if any.'),
    reportingController: str('Controller that emitted the event, e.g. kubernetes.io/kubelet. Required for new events.'),
    reportingInstance: str('ID of the controller instance, e.g. kubelet-xyzf. Required for new events.'),
    action: str('What action was taken or failed on the regarding object.'),
    reason: str('Why the action was taken; short CamelCase.'),
    regarding: ref(CORE + 'ObjectReference', 'The object this event is about.'),
    related: ref(CORE + 'ObjectReference', 'A second object involved, if any.'),
    note: str('Human-readable description of the status of this operation (at most 1 kB).'),
    type: str('Normal or Warning.'),
    deprecatedSource: ref(CORE + 'EventSource', 'The core v1 source; must be unset in new events of this API.'),
    deprecatedFirstTimestamp: time('The core v1 firstTimestamp; must be unset in new events of this API.'),
    deprecatedLastTimestamp: time('The core v1 lastTimestamp; must be unset in new events of this API.'),
    deprecatedCount: int32('The core v1 count; must be unset in new events of this API.'),
  }, ['eventTime']),
  [EVENTS + 'EventList']: listOf(EVENTS + 'Event', 'events'),
  [EVENTS + 'EventSeries']: obj('A series of occurrences of an event, with its count and last occurrence.', {
    count: int32('Occurrences in the series up to the last heartbeat time.'),
    lastObservedTime: microTime('Time of the last occurrence observed.'),
  }, ['count', 'lastObservedTime']),
};
