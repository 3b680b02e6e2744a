// Compile-time issues and run-time errors of CEL expressions, worded and formatted as cel-go
// prints them (common/errors.go): one `ERROR: <input>:line:column: message` per issue, sorted
// by location, each followed by the source line and a caret under the column.

interface Issue {
  /** Code point offset in the source; -1 when the issue has no location. */
  pos: number;
  message: string;
  seq: number;
}

const maxErrorsToReport = 100;

export class CelIssues {
  private readonly list: Issue[] = [];
  private readonly cps: string[];

  constructor(private readonly source: string) {
    this.cps = Array.from(source);
  }

  get hasErrors(): boolean {
    return this.list.length > 0;
  }

  get count(): number {
    return this.list.length;
  }

  report(pos: number, message: string): void {
    this.list.push({ pos, message, seq: this.list.length });
  }

  syntax(pos: number, message: string): void {
    this.report(pos, `Syntax error: ${message}`);
  }

  /** Line (1-based) and column (0-based, in code points) of an offset. */
  private location(pos: number): { line: number; column: number } {
    if (pos < 0) return { line: -1, column: -1 };
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < pos && i < this.cps.length; i++) {
      if (this.cps[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return { line, column: pos - lineStart };
  }

  private snippet(line: number): string | undefined {
    if (line < 1) return undefined;
    const lines = this.source.split('\n');
    return lines[line - 1];
  }

  /** All issues as cel-go's Issues.String() prints them. */
  toString(): string {
    const located = this.list.map((i) => ({ ...i, ...this.location(i.pos) }));
    located.sort((a, b) => a.line - b.line || a.column - b.column || a.seq - b.seq);
    const out: string[] = [];
    for (const [n, e] of located.entries()) {
      if (n >= maxErrorsToReport) break;
      let s = `ERROR: <input>:${e.line}:${e.column + 1}: ${e.message}`;
      const snippet = this.snippet(e.line);
      if (snippet !== undefined && snippet.length <= 16384) {
        const text = snippet.replace(/\t/g, ' ');
        const chars = Array.from(text);
        let ind = '';
        for (let i = 0; i < e.column && i < chars.length; i++) ind += Buffer.byteLength(chars[i]!) > 1 ? '\uff0e' : '.';
        const at = chars[e.column];
        ind += at !== undefined && Buffer.byteLength(at) > 1 ? '\uff3e' : '^';
        s += `\n | ${text}\n | ${ind}`;
      }
      out.push(s);
    }
    if (located.length > maxErrorsToReport) out.push(`${located.length - maxErrorsToReport} more errors were truncated`);
    return out.join('\n');
  }
}

/** An evaluation error (cel-go's types.Err): its message is what upstream shows. */
export class CelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelError';
  }
}

/** The per-call cost limit was exceeded: evaluation stops (cel-go's EvalCancelledError). */
export class CostLimitError extends Error {
  constructor() {
    super('operation cancelled: actual cost limit exceeded');
    this.name = 'CostLimitError';
  }
}

export const noSuchOverload = (): CelError => new CelError('no such overload');
