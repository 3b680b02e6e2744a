import { accessSync, constants as fsConstants, statSync } from 'node:fs';

/** The message of a thrown value: `Error.message`, else its string form (a thrown value need not be an Error). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Why `path` cannot be read by this process, or undefined when it can. 'missing' when it does
 * not exist; otherwise a sentence (permission denied names the owner's uid, so a user who ran
 * a command as the wrong user is told so instead of "no such file").
 */
export function unreadable(path: string): 'missing' | string | undefined {
  try {
    accessSync(path, fsConstants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'EACCES' || code === 'EPERM') {
      let owner = '';
      try {
        owner = ` (it belongs to uid ${statSync(path).uid}; this is uid ${process.getuid?.() ?? '?'})`;
      } catch {
        // the directory above is what is closed: no owner to name
      }
      return `cannot read ${path}: permission denied${owner}`;
    }
    return `cannot read ${path}: ${errorMessage(err)}`;
  }
}
