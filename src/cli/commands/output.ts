// -o as the verbs that print the objects they wrote or read print them (apply, create, label,
// patch, replace, edit, set, events, get's Go templates), and Go's JSON renderings of decoded
// values. Shared by several verbs, so it imports no verb: each verb loads only its own module
// and these (the CLI's start-up time, see run.ts).

import type { KubeObject } from '../../api/types.js';
import { goEscape, goJson, sortKeys, writeYaml } from '../../util/index.js';
import { CliError } from '../context.js';
import { executeTemplate, GoTemplateError, JsonPathError, parseGoTemplate } from '../jsonpath.js';
import { omitManagedFields, readTemplateFile } from '../printers.js';

export { goJson, sortKeys };

type JsonMap = Record<string, unknown>;

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Go renderings of decoded JSON.

/** kubectl's JSON printer (json.MarshalIndent with 4 spaces, then a newline). */
export function goJsonIndent(v: unknown): string {
  return goEscape(JSON.stringify(sortKeys(v), null, 4)) + '\n';
}

/** As goJsonIndent, keeping the order of the keys: how kubectl prints a typed object (Go's field order). */
export function goJsonIndentTyped(v: unknown): string {
  return goEscape(JSON.stringify(v, null, 4)) + '\n';
}

// ---------------------------------------------------------------------------------------------
// Go templates.

/** A parsed -o go-template (or --template): its text, and what it prints for `data`. */
export interface GoTemplate {
  raw: string;
  execute(data: unknown): string;
}

const templateFormats = ['go-template', 'go-template-file', 'template', 'templatefile'];

/**
 * The Go template of -o/--template (kubectl's GoTemplatePrintFlags.ToPrinter), read and parsed
 * before any request; undefined for the other output formats.
 */
export function goTemplateOf(output: string | undefined, templateArg: string | undefined): GoTemplate | undefined {
  let format = output ?? '';
  let value = templateArg ?? '';
  if (value === '' && format === '') return undefined;
  if (value === '') {
    if (templateFormats.includes(format)) throw new CliError('template format specified but no template given');
    const f = templateFormats.find((x) => format.startsWith(`${x}=`));
    if (!f) return undefined;
    value = format.slice(f.length + 1);
    format = f;
  } else if (format === '') format = 'go-template';
  if (!templateFormats.includes(format)) return undefined;
  if (value === '') throw new CliError('template format specified but no template given');
  if (format === 'templatefile' || format === 'go-template-file') {
    value = readTemplateFile(value);
  }
  const raw = value;
  try {
    const t = parseGoTemplate(raw);
    return { raw, execute: (data) => t.execute(data) };
  } catch (e) {
    if (e instanceof GoTemplateError) throw new CliError(`error parsing template ${raw}, ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Printers.

/** Prints one object of a run; `operation` is the word of the default (name) printer. */
export type ObjectPrinter = (o: KubeObject, prefix: string, operation: string) => string;

const patchFormats = 'go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml';

/**
 * kubectl's PrintFlags.ToPrinter for patch: the name printer with an operation when there is
 * no -o, else the -o printer. Throws CliError with kubectl's wording for a format it lacks or
 * a template that does not parse.
 */
export function objectPrinter(output: string | undefined, templateArg: string | undefined, showManagedFields: boolean): ObjectPrinter {
  const shown = (o: KubeObject): KubeObject => (showManagedFields ? o : omitManagedFields(o));
  if ((output === undefined || output === '') && templateArg === undefined) return (o, prefix, op) => `${prefix}/${o.metadata.name ?? ''} ${op}\n`;
  if (output === 'name') return (o, prefix) => `${prefix}/${o.metadata.name ?? ''}\n`;
  if (output === 'yaml') return (o) => writeYaml(shown(o));
  if (output === 'json') return (o) => goJsonIndent(shown(o));
  const template = goTemplateOf(output, templateArg);
  if (template) {
    return (o) => {
      try {
        return template.execute(sortKeys(shown(o)));
      } catch (e) {
        if (e instanceof GoTemplateError) throw new CliError(`error executing template ${JSON.stringify(template.raw)}: ${e.message}`);
        throw e;
      }
    };
  }
  const m = /^(jsonpath|jsonpath-file)(?:=([\s\S]*))?$/.exec(output ?? '');
  if (m) {
    const value = m[2] ?? '';
    if (value === '') throw new CliError('template format specified but no template given');
    const text = m[1] === 'jsonpath-file' ? readTemplateFile(value) : value;
    try {
      executeTemplate(text, {});
    } catch (e) {
      if (e instanceof JsonPathError) throw new CliError(`error parsing jsonpath ${text}, ${e.message.replace(/ in "(?:[^"\\]|\\.)*"$/, '')}`);
      throw e;
    }
    return (o) => {
      try {
        return executeTemplate(text, sortKeys(shown(o)));
      } catch (e) {
        throw new CliError(`error executing jsonpath ${JSON.stringify(text)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
  }
  throw new CliError(`unable to match a printer suitable for the output format "${output ?? ''}", allowed formats are: ${patchFormats}`);
}

/** The help of apply's and create's -o. */
export const objectOutputHelp = 'print the resulting objects: json|yaml|name|jsonpath=TEMPLATE|go-template=TEMPLATE';

/**
 * What -o of apply, create and replace asks for: undefined without it (the operation lines),
 * else the printer (checked before any request, with kubectl's wording for a format it lacks)
 * and whether it prints the whole object (json, yaml, templates) rather than its name.
 */
export function outputPrinter(opts: { output?: string; showManagedFields?: boolean }): { print: ObjectPrinter; full: boolean } | undefined {
  if (opts.output === undefined || opts.output === '') return undefined;
  return { print: objectPrinter(opts.output, undefined, opts.showManagedFields === true), full: opts.output !== 'name' };
}
