// A scripted editor for `edit` tests (KUBE_EDITOR=node <file>): each run counts itself in
// $EDIT_STATE/count, keeps the text it was handed ($EDIT_STATE/seen-N) and the file's path
// ($EDIT_STATE/path-N), applies the replacements of its step (EDIT_STEPS: a JSON list of
// {replace: [[from, to], ...], exit}, the last step repeating) and exits with the step's code.
export const editorScript = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2];
const state = process.env.EDIT_STATE;
const n = existsSync(state + '/count') ? Number(readFileSync(state + '/count', 'utf8')) : 0;
writeFileSync(state + '/count', String(n + 1));
const text = readFileSync(file, 'utf8');
writeFileSync(state + '/seen-' + n, text);
writeFileSync(state + '/path-' + n, file);
const steps = JSON.parse(process.env.EDIT_STEPS || '[]');
const step = steps[Math.min(n, steps.length - 1)] || {};
let out = text;
for (const [from, to] of step.replace || []) out = out.split(from).join(to);
writeFileSync(file, out);
process.exit(step.exit || 0);
`;
