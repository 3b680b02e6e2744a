/** The message of a thrown value: `Error.message`, else its string form (a thrown value need not be an Error). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
