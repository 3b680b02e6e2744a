// The API schema (src/api/schema) for the verbs that need it (edit, patch, rollout, set: typed
// output and strategic merges), loaded on first use: building it is a third of the CLI's
// start-up, which every other verb then skips. runCli loads it before one of those verbs runs;
// apiSchema() is the loaded module, and fails loudly if a code path was missed.

type SchemaModule = typeof import('../api/schema/index.js');

let loaded: SchemaModule | undefined;

/** The verbs whose code reads the schema (see apiSchema()). */
export const schemaVerbs: ReadonlySet<string> = new Set(['edit', 'patch', 'rollout', 'set']);

export async function loadSchema(): Promise<SchemaModule> {
  loaded ??= await import('../api/schema/index.js');
  return loaded;
}

/** The schema module, once loadSchema() resolved. */
export function apiSchema(): SchemaModule {
  if (!loaded) throw new Error('the API schema is not loaded: loadSchema() must run before this verb');
  return loaded;
}
