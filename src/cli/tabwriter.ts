// Column alignment of kubectl's output (Go's text/tabwriter semantics), shared by the verbs.

/**
 * Go's text/tabwriter as kubectl uses it: cells end at tabs; a column block is a run of
 * consecutive lines with a cell in that column (a line's last cell is in none); each cell of a
 * block is padded to the widest plus `padding` (at least `minWidth`). Widths count characters
 * (runes). With `rememberWidths` (kubectl's output printers, RememberWidths) widths are kept per
 * column across flushes and never shrink, so later watch lines line up; without it (describe:
 * minWidth 0, padding 2) each flush stands alone.
 */
export class TabWriter {
  private readonly remembered: number[] = [];

  constructor(
    private readonly minWidth = 6,
    private readonly padding = 3,
    private readonly rememberWidths = true,
  ) {}

  /** The text one Write of `text` and a Flush send out. */
  flush(text: string): string {
    if (text === '') return '';
    const lines = text.split('\n').map((l) => l.split('\t'));
    const runes = (s: string): number => [...s].length;
    const widths: number[] = [];
    let out = '';
    const writeLines = (from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        const line = lines[i]!;
        line.forEach((cell, j) => {
          out += cell;
          if (j < widths.length && j < line.length - 1) out += ' '.repeat(Math.max(0, widths[j]! - runes(cell)));
        });
        if (i + 1 < lines.length) out += '\n';
      }
    };
    const format = (line0: number, line1: number): void => {
      const column = widths.length;
      for (let t = line0; t < line1; t++) {
        if (column >= lines[t]!.length - 1) continue;
        writeLines(line0, t);
        line0 = t;
        let width = this.minWidth;
        for (; t < line1; t++) {
          const line = lines[t]!;
          if (column >= line.length - 1) break;
          width = Math.max(width, runes(line[column]!) + this.padding);
        }
        if (this.rememberWidths) {
          width = Math.max(width, this.remembered[column] ?? 0);
          this.remembered[column] = width;
        }
        widths.push(width);
        format(line0, t);
        widths.pop();
        line0 = t;
      }
      writeLines(line0, line1);
    };
    format(0, lines.length);
    return out;
  }
}
