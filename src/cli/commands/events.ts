// `everynode events [--for TYPE/NAME] [--types Normal,Warning] [-A] [-w] [-o FORMAT]`: the Events
// of a namespace (or of all, -A), optionally only those of one object, as kubectl 1.32's
// `kubectl events` prints them.
//
// Contracts (each checked against kubectl 1.32 on a real everynode cluster):
// - Requests: one list of events (`limit=500`, following `continue`; --chunk-size is accepted
//   and, as in kubectl 1.32, does not change it); with --for, the field selector
//   `involvedObject.kind=K,involvedObject.apiVersion=G/V,involvedObject.name=N` (the kind and
//   version of TYPE as discovery maps it; an event without that apiVersion is not found, as with
//   kubectl). -w asks the same list as a watch (no resourceVersion: the server first sends the
//   existing events) and prints every event but deletions, in arrival order, until the server
//   ends the stream (exit 0). Positional arguments are ignored, as kubectl ignores them.
// - Checks, in kubectl's order: --for (`--for must be in resource/name form`, `arguments in
//   resource/name form may not have more than one slash`, `a resource must be present, got:
//   ...`; an unknown TYPE prints `the server doesn't have a resource type "x"` [`in group "g"`]
//   with NO `error: ` prefix, exit 1; `--for ds/` means no filter), then -o (json, yaml, name,
//   jsonpath[-as-json|-file], go-template[-file], template[file]; anything else is kubectl's
//   `unable to match a printer` error), then --types (case-insensitive Normal/Warning, comma
//   separated and repeatable; else `valid --types are Normal or Warning`).
// - The list keeps the events of the asked types, sorted by time (series.lastObservedTime, else
//   lastTimestamp, else eventTime); equal times keep the server's order (kubectl's sort is not
//   stable and may print them in another order). None left: `No events found in <ns> namespace.` (`No events found.` with
//   -A) on stderr, exit 0, whatever the output format.
// - Table: `[NAMESPACE] LAST SEEN TYPE REASON OBJECT MESSAGE` (--no-headers drops the header),
//   LAST SEEN the age of eventTime (else firstTimestamp; `<unknown>` when unset), or
//   `<age of last> (xN over <that age>)` for a series or a count above 1; OBJECT is
//   `Kind/name`; the message trimmed; terminal escapes made visible. Every byte printed (tables
//   and -o output alike) goes through kubectl's tabwriter (minimum width 6, padding 3, column
//   widths remembered across flushes), so tabs in jsonpath/template output align as kubectl's do;
//   a watch flushes once per event, its header with the first one.
// - -o prints an `EventList` (apiVersion v1, `metadata: {}`) of the sorted events, or each event
//   alone with -w (yaml documents separated by `---`); objects are shaped as client-go's typed
//   corev1.Event encodes them: Go's field order in json, unknown fields dropped, zero times
//   `null`, `source: {}` and `reportingComponent`/`reportingInstance` always present, times
//   re-encoded in UTC (seconds; eventTime and series times with microseconds), managedFields left
//   out unless --show-managed-fields. As in kubectl, a printer's own failure is not an error of
//   the command: `-o name` of the list prints nothing, a failing Go template prints kubectl's
//   debugging text on stdout, and the exit code stays 0.

import type { Command } from 'commander';
import { ApiError, eventsResource, resourcePath, WatchDecoder } from '../client.js';
import { goEscape, writeYaml } from '../../util/index.js';
import { CliError } from '../context.js';
import { findResource } from '../discovery.js';
import { executeTemplate, GoTemplateError, goPrint, JsonPathError, parseTemplate } from '../jsonpath.js';
import { type CliContext, intFlag } from './common.js';
import { humanSince } from '../durations.js';
import { goTemplateOf } from './output.js';
import { TabWriter } from '../tabwriter.js';
import { readTemplateFile, renderJsonPathAsJson } from '../printers.js';

interface EventsOptions {
  output?: string;
  template?: string;
  allNamespaces?: boolean;
  for?: string;
  types?: string[];
  /** False with --no-headers. */
  headers?: boolean;
  watch?: boolean;
  showManagedFields?: boolean;
}

/** A JSON value as client-go decodes and encodes it (key order matters: Go's struct order). */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// Events as client-go's typed corev1.Event decodes and encodes them.

const goZeroMs = Date.parse('0001-01-01T00:00:00Z');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** metav1.Time: RFC 3339 in UTC, whole seconds; null when unset or zero. */
function goTime(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return v;
  if (ms === goZeroMs) return null;
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 in UTC with exactly six fraction digits; null when unset or zero. */
function goMicroTime(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(v);
  if (!m) return v;
  const ms = Date.parse(`${m[1]!}${m[3]!}`);
  if (Number.isNaN(ms)) return v;
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  if (ms === goZeroMs && /^0+$/.test(fraction)) return null;
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** Copies the listed keys of `src` in that order: strings (omitempty) or whatever `shape` makes of them. */
function pick(src: Record<string, unknown>, fields: [string, 'string' | 'int' | ((v: unknown) => Json | undefined)][]): JsonObject {
  const out: JsonObject = {};
  for (const [key, shape] of fields) {
    const v = src[key];
    if (shape === 'string') {
      if (typeof v === 'string' && v !== '') out[key] = v;
    } else if (shape === 'int') {
      if (typeof v === 'number' && v !== 0) out[key] = v;
    } else {
      const shaped = shape(v);
      if (shaped !== undefined) out[key] = shaped;
    }
  }
  return out;
}

const stringMap = (v: unknown): Json | undefined => {
  if (!isObject(v) || Object.keys(v).length === 0) return undefined;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) out[k] = typeof v[k] === 'string' ? (v[k] as string) : '';
  return out;
};
const optionalBool = (v: unknown): Json | undefined => (typeof v === 'boolean' ? v : undefined);
const optionalInt = (v: unknown): Json | undefined => (typeof v === 'number' ? v : undefined);
const optionalTime = (v: unknown): Json | undefined => goTime(v) ?? undefined;
const rawJson = (v: unknown): Json | undefined => (v === undefined || v === null ? undefined : (v as Json));
const list =
  (item: (v: Record<string, unknown>) => Json) =>
  (v: unknown): Json | undefined =>
    Array.isArray(v) && v.length > 0 ? v.map((x) => item(isObject(x) ? x : {})) : undefined;
const strings = (v: unknown): Json | undefined => (Array.isArray(v) && v.length > 0 ? v.map((x) => (typeof x === 'string' ? x : '')) : undefined);

function objectReference(v: unknown): JsonObject {
  return pick(isObject(v) ? v : {}, [
    ['kind', 'string'],
    ['namespace', 'string'],
    ['name', 'string'],
    ['uid', 'string'],
    ['apiVersion', 'string'],
    ['resourceVersion', 'string'],
    ['fieldPath', 'string'],
  ]);
}

function objectMeta(v: unknown, managedFields: boolean): JsonObject {
  return pick(isObject(v) ? v : {}, [
    ['name', 'string'],
    ['generateName', 'string'],
    ['namespace', 'string'],
    ['selfLink', 'string'],
    ['uid', 'string'],
    ['resourceVersion', 'string'],
    ['generation', 'int'],
    ['creationTimestamp', goTime],
    ['deletionTimestamp', optionalTime],
    ['deletionGracePeriodSeconds', optionalInt],
    ['labels', stringMap],
    ['annotations', stringMap],
    [
      'ownerReferences',
      list((r) =>
        pick(r, [
          ['apiVersion', (x) => (typeof x === 'string' ? x : '')],
          ['kind', (x) => (typeof x === 'string' ? x : '')],
          ['name', (x) => (typeof x === 'string' ? x : '')],
          ['uid', (x) => (typeof x === 'string' ? x : '')],
          ['controller', optionalBool],
          ['blockOwnerDeletion', optionalBool],
        ]),
      ),
    ],
    ['finalizers', strings],
    [
      'managedFields',
      (x) =>
        managedFields
          ? list((f) =>
              pick(f, [
                ['manager', 'string'],
                ['operation', 'string'],
                ['apiVersion', 'string'],
                ['time', optionalTime],
                ['fieldsType', 'string'],
                ['fieldsV1', rawJson],
                ['subresource', 'string'],
              ]),
            )(x)
          : undefined,
    ],
  ]);
}

/** An Event of the server as kubectl's typed client re-encodes it (kind and apiVersion set). */
export function goEvent(raw: unknown, managedFields = false): JsonObject {
  const e = isObject(raw) ? raw : {};
  return {
    kind: typeof e['kind'] === 'string' && e['kind'] !== '' ? e['kind'] : 'Event',
    apiVersion: typeof e['apiVersion'] === 'string' && e['apiVersion'] !== '' ? e['apiVersion'] : 'v1',
    metadata: objectMeta(e['metadata'], managedFields),
    involvedObject: objectReference(e['involvedObject']),
    ...pick(e, [
      ['reason', 'string'],
      ['message', 'string'],
      ['source', (v) => pick(isObject(v) ? v : {}, [['component', 'string'], ['host', 'string']])],
      ['firstTimestamp', goTime],
      ['lastTimestamp', goTime],
      ['count', 'int'],
      ['type', 'string'],
      ['eventTime', goMicroTime],
      ['series', (v) => (isObject(v) ? pick(v, [['count', 'int'], ['lastObservedTime', goMicroTime]]) : undefined)],
      ['action', 'string'],
      ['related', (v) => (isObject(v) ? objectReference(v) : undefined)],
      ['reportingComponent', (v) => (typeof v === 'string' ? v : '')],
      ['reportingInstance', (v) => (typeof v === 'string' ? v : '')],
    ]),
  };
}

const field = (o: Json | undefined, key: string): Json | undefined => (isObject(o) ? (o as JsonObject)[key] : undefined);
const text = (v: Json | undefined): string => (typeof v === 'string' ? v : '');

/** A time as microseconds since the epoch (Go's zero time, or none, before everything). */
function micros(ts: Json | undefined): number {
  if (typeof ts !== 'string') return -Infinity;
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  const ms = Date.parse(m ? `${m[1]!}${m[3]!}` : ts);
  if (Number.isNaN(ms)) return -Infinity;
  return ms * 1000 + Number((m?.[2] ?? '').padEnd(6, '0').slice(0, 6));
}

/** The time kubectl sorts an event by: series.lastObservedTime, else lastTimestamp, else eventTime. */
function sortTime(e: JsonObject): number {
  const series = field(e, 'series');
  if (isObject(series)) return micros(field(series, 'lastObservedTime'));
  const last = field(e, 'lastTimestamp');
  if (typeof last === 'string') return micros(last);
  return micros(field(e, 'eventTime'));
}

/** kubectl's printers.EscapeTerminal. */
const escapeTerminal = (s: string): string => s.replace(/\u001b/g, '^[').replace(/\r/g, '\\r');

/** Go's strings.TrimSpace (Unicode White_Space). */
const trimSpace = (s: string): string =>
  s.replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g, '');

/** LAST SEEN: `<age>`, or `<age of last> (xN over <age of first>)` for a series or a repeated event. */
export function lastSeen(e: JsonObject, now = Date.now()): string {
  const since = (ts: Json | undefined): string => humanSince(typeof ts === 'string' ? ts : undefined, now);
  const eventTime = field(e, 'eventTime');
  const first = typeof eventTime === 'string' ? since(eventTime) : since(field(e, 'firstTimestamp'));
  const series = field(e, 'series');
  if (isObject(series)) {
    const count = field(series, 'count');
    return `${since(field(series, 'lastObservedTime'))} (x${typeof count === 'number' ? count : 0} over ${first})`;
  }
  const count = field(e, 'count');
  if (typeof count === 'number' && count > 1) return `${since(field(e, 'lastTimestamp'))} (x${count} over ${first})`;
  return first;
}

/** One table line (tab-separated, newline-terminated). */
function eventLine(e: JsonObject, withNamespace: boolean, now: number): string {
  const involved = field(e, 'involvedObject');
  const cells = [
    lastSeen(e, now),
    escapeTerminal(text(field(e, 'type'))),
    escapeTerminal(text(field(e, 'reason'))),
    `${escapeTerminal(text(field(involved, 'kind')))}/${escapeTerminal(text(field(involved, 'name')))}`,
    escapeTerminal(trimSpace(text(field(e, 'message')))),
  ];
  if (withNamespace) cells.unshift(text(field(field(e, 'metadata'), 'namespace')));
  return cells.join('\t') + '\n';
}

/** Go's encoding/json string escaping beyond JSON.stringify's (HTML-safe). */

// ---------------------------------------------------------------------------------------------
// Printers

/** What prints one object (the EventList, or one Event of a watch); text goes through the tabwriter. */
type Printer = (obj: JsonObject) => string;

const allowedFormats = 'go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml';

/** A jsonpath template: parsed now (a bad one fails the command before any request). */
function jsonPathPrinter(template: string, asJson: boolean): Printer {
  try {
    parseTemplate(template);
  } catch (e) {
    if (e instanceof JsonPathError) throw new CliError(`error parsing jsonpath ${template}, ${e.message}`);
    throw e;
  }
  return asJson ? (obj) => renderJsonPathAsJson(template, obj) : (obj) => executeTemplate(template, obj);
}

/** kubectl's printer of -o (undefined: the events table). Throws kubectl's errors for a bad format. */
function printerOf(opts: EventsOptions): Printer | undefined {
  const output = opts.output ?? '';
  if (output === '') return undefined;
  if (output === 'json') return (obj) => goEscape(JSON.stringify(obj, null, 4)) + '\n';
  if (output === 'yaml') {
    let printed = 0;
    return (obj) => (printed++ > 0 ? '---\n' : '') + writeYaml(obj);
  }
  if (output === 'name') {
    // kubectl's name printer refuses a typed list (and events ignores the error).
    return (obj) => (obj['kind'] === 'EventList' ? '' : `event/${text(field(obj['metadata'], 'name'))}\n`);
  }
  const jsonPath = /^(jsonpath|jsonpath-as-json|jsonpath-file)(?:=(.*))?$/s.exec(output);
  if (jsonPath) {
    const format = jsonPath[1]!;
    let template = jsonPath[2] ?? '';
    if (template === '') template = opts.template ?? '';
    if (template === '') throw new CliError('template format specified but no template given');
    if (format === 'jsonpath-file') {
      template = readTemplateFile(template);
    }
    return jsonPathPrinter(template, format === 'jsonpath-as-json');
  }
  const goTemplate = goTemplateOf(output, opts.template);
  if (goTemplate) {
    return (obj) => {
      try {
        return goTemplate.execute(obj);
      } catch (e) {
        if (!(e instanceof GoTemplateError)) throw e;
        // kubectl writes its debugging text to the output and the command ignores the error.
        const raw = goEscape(JSON.stringify(obj));
        return `${e.partial}Error executing template: ${e.message}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t${goTemplate.raw}\n\traw data was:\n\t\t${raw}\n\tobject given to template engine was:\n\t\t${goPrint(obj)}\n\n`;
      }
    };
  }
  throw new CliError(`unable to match a printer suitable for the output format "${output}", allowed formats are: ${allowedFormats}`);
}

// ---------------------------------------------------------------------------------------------
// The verb

/** fields.EscapeValue of a field selector value. */
const escapeFieldValue = (s: string): string => s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');

/** Go's %q of a (printable) string. */
const goQuote = (s: string): string => JSON.stringify(s);

/**
 * The field selector of `--for TYPE/NAME` ('' without --for or with an empty NAME), or the
 * text of kubectl's failure: `{ fatal }` is printed as is (a resource type the server does not
 * have), anything else is thrown as `error: ...`.
 */
async function forSelector(ctx: CliContext, cmd: Command, value: string): Promise<string | { fatal: string }> {
  if (value === '') return '';
  if (!value.includes('/')) throw new CliError('--for must be in resource/name form');
  const parts = value.split('/');
  if (parts.length !== 2) throw new CliError('arguments in resource/name form may not have more than one slash');
  const [type, name] = parts as [string, string];
  const lower = type.toLowerCase();
  const dot = lower.indexOf('.');
  const resource = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? '' : lower.slice(dot + 1);
  if (resource === '') throw new CliError(`a resource must be present, got: ${group}/, Resource=`);
  const r = findResource(await ctx.discovery(cmd).resources(), lower);
  if (!r) return { fatal: `the server doesn't have a resource type ${goQuote(resource)}${group ? ` in group ${goQuote(group)}` : ''}` };
  if (name === '') return '';
  const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  return `involvedObject.kind=${escapeFieldValue(r.kind)},involvedObject.apiVersion=${escapeFieldValue(apiVersion)},involvedObject.name=${escapeFieldValue(name)}`;
}

function query(params: Record<string, string | undefined>): string {
  const p = Object.entries(params).filter(([, v]) => v !== undefined && v !== '');
  return p.length ? '?' + p.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v!)}`).join('&') : '';
}

/** pflag's string slice: each value split at commas (an empty value adds nothing). */
function collectTypes(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...(value === '' ? [] : value.split(','))];
}

export function registerEvents(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description('List events (of a namespace, of all with -A, or of one object with --for TYPE/NAME), oldest first')
    .option('-o, --output <format>', 'output format: json|yaml|name|jsonpath=TEMPLATE|jsonpath-as-json=TEMPLATE|jsonpath-file=FILE|go-template=TEMPLATE|go-template-file=FILE|template=TEMPLATE|templatefile=FILE')
    .option('--template <template>', 'the template (or its file) of -o go-template, go-template-file or jsonpath')
    .option('-A, --all-namespaces', 'list the events of all namespaces')
    .option('--for <TYPE/NAME>', 'only the events of this object, e.g. ds/x, pod/y, node/n')
    .option('--types <types>', 'only events of these types: Normal, Warning (comma-separated, repeatable)', collectTypes)
    .option('--no-headers', "don't print the table's header line")
    .option('-w, --watch', 'after listing the events, watch for more')
    .option('--chunk-size <n>', 'accepted for kubectl compatibility (lists are always asked 500 at a time)', intFlag('--chunk-size', 'events'))
    .option('--show-managed-fields', 'keep metadata.managedFields in json and yaml output')
    .allowExcessArguments(true)
    .addHelpText(
      'after',
      '\nExamples:\n  everynode events\n  everynode events -A\n  everynode events --for ds/node-reporter --watch\n  everynode events --types=Warning -o yaml\n',
    )
    .action(async (opts: EventsOptions, cmd: Command) => {
      await runEvents(ctx, cmd, opts);
    });
}

async function runEvents(ctx: CliContext, cmd: Command, opts: EventsOptions): Promise<void> {
  const conn = ctx.conn(cmd);
  const namespace = conn.namespace;
  const selector = await forSelector(ctx, cmd, opts.for ?? '');
  if (typeof selector !== 'string') {
    ctx.err(`${selector.fatal}\n`);
    ctx.exitCode = 1;
    return;
  }
  const printer = printerOf(opts);
  const types = opts.types ?? [];
  for (const t of types) if (t.toLowerCase() !== 'normal' && t.toLowerCase() !== 'warning') throw new CliError('valid --types are Normal or Warning');
  const wanted = (e: JsonObject): boolean => types.length === 0 || types.some((t) => t.toLowerCase() === text(field(e, 'type')).toLowerCase());

  const allNs = opts.allNamespaces === true;
  const path = resourcePath(eventsResource, allNs ? undefined : namespace);
  const managed = opts.showManagedFields === true;
  const writer = new TabWriter();
  let headerShown = opts.headers === false;
  const print = (obj: JsonObject): void => {
    let out: string;
    if (printer) out = printer(obj);
    else {
      const now = Date.now();
      out = headerShown ? '' : `${allNs ? 'NAMESPACE\t' : ''}LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n`;
      headerShown = true;
      const items = obj['kind'] === 'EventList' ? (obj['items'] as JsonObject[]) : [obj];
      for (const e of items) out += eventLine(e, allNs, now);
    }
    ctx.out(writer.flush(out));
  };

  if (opts.watch === true) {
    const res = await conn.stream({ path: path + query({ fieldSelector: selector, limit: '500', watch: 'true' }), accept: 'application/json' });
    const decoder = new WatchDecoder();
    const handle = (evs: { type: string; object: unknown }[]): void => {
      for (const ev of evs) {
        // Deletions, errors (a Status) and bookmarks are no Events to print.
        if (ev.type === 'DELETED' || ev.type === 'ERROR' || ev.type === 'BOOKMARK') continue;
        const e = goEvent(ev.object, managed);
        if (wanted(e)) print(e);
      }
    };
    for await (const chunk of res.body) handle(decoder.push(chunk));
    handle(decoder.end());
    return;
  }

  const items: JsonObject[] = [];
  let cont: string | undefined;
  do {
    let page: { metadata?: { continue?: string }; items?: unknown[] };
    try {
      page = await conn.rawJson({ path: path + query({ fieldSelector: selector, limit: '500', continue: cont }) });
    } catch (e) {
      throw enhanceListError(e, selector);
    }
    for (const raw of page.items ?? []) {
      const e = goEvent(raw, managed);
      if (wanted(e)) items.push(e);
    }
    cont = page.metadata?.continue || undefined;
  } while (cont);

  if (items.length === 0) {
    ctx.err(allNs ? 'No events found.\n' : `No events found in ${namespace} namespace.\n`);
    return;
  }
  // A stable sort: equal times keep the server's order (kubectl's unstable sort may swap them).
  items.sort((a, b) => sortTime(a) - sortTime(b));
  print({ kind: 'EventList', apiVersion: 'v1', metadata: {}, items });
}

/** kubectl's EnhanceListError: a BadRequest or NotFound list names what was listed. */
function enhanceListError(e: unknown, fieldSelector: string): unknown {
  if (!(e instanceof ApiError) || (e.code !== 400 && e.code !== 404)) return e;
  const message = fieldSelector === '' ? `Unable to list "events": ${e.message}` : `Unable to find "events" that match label selector "", field selector ${goQuote(fieldSelector)}: ${e.message}`;
  return new ApiError(e.code, e.reason, message, e.details);
}
