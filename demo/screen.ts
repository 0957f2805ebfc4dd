// Writes the view: on a terminal the block under the banner is redrawn in place once a second; on a
// pipe or a file each change is one plain line.
import type { DemoModel } from "./model.js";
import { plainLine, renderScreen } from "./view.js";

/** Cuts a line to the terminal's width, not counting colour codes (a wrapped line breaks the redraw). */
export function fitWidth(line: string, columns: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? "";
    if (ch === "\x1b") {
      const end = line.indexOf("m", i);
      if (end > i) {
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= columns - 1) continue;
    out += ch;
    visible++;
  }
  return out;
}

/** The live part of the demo's output. */
export class Screen {
  private drawn = 0;
  private readonly printed = new Map<string, string>();
  private historySeen = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly model: DemoModel,
  ) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** Draws the current state (called on every change and once a second). */
  draw(now: number): void {
    const rows = this.model.rows(now);
    if (this.tty) {
      const columns = this.out.columns || 120;
      const lines = renderScreen(rows, this.model.history, true).map((l) => fitWidth(l, columns));
      const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : "";
      this.out.write(`${up}\x1b[J${lines.join("\n")}\n`);
      this.drawn = lines.length;
      return;
    }
    const fresh = Math.min(this.model.noted - this.historySeen, this.model.history.length);
    for (const h of fresh > 0 ? this.model.history.slice(-fresh) : []) this.out.write(`${h}\n`);
    this.historySeen = this.model.noted;
    for (const r of rows) {
      const line = plainLine(r);
      if (this.printed.get(r.app) === line) continue;
      this.printed.set(r.app, line);
      this.out.write(`${new Date(now).toTimeString().slice(0, 8)} ${line}\n`);
    }
  }

  /** Leaves the table on screen; what follows is printed below it. */
  release(): void {
    this.drawn = 0;
  }
}
