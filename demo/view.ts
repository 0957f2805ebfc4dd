// Renders the model: a table redrawn in place on a terminal, plain lines (one per change) otherwise.
// Pure: returns strings; demo/screen.ts writes them.
import type { AppRow } from "./model.js";

const COLOURS: Record<AppRow["state"], string> = {
  awake: "\x1b[32m",
  asleep: "\x1b[34m",
  waking: "\x1b[33m",
  unknown: "\x1b[31m",
};
const RESET = "\x1b[0m";
const BOLD = "\x1b[1m";

const HEADER: Record<keyof AppRow, string> = {
  app: "APP",
  state: "STATE",
  replicas: "READY",
  sleep: "SLEEP",
  lastWake: "LAST WAKE",
};
const COLUMNS: (keyof AppRow)[] = ["app", "state", "replicas", "sleep", "lastWake"];

/** The table: a header and one line per app; colour only when `colour`. */
export function renderTable(rows: readonly AppRow[], colour: boolean): string[] {
  const width = (c: keyof AppRow): number => Math.max(HEADER[c].length, ...rows.map((r) => r[c].length));
  const widths = COLUMNS.map(width);
  const line = (cells: string[], paint?: string): string =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
        return paint && i === 1 ? `${paint}${padded}${RESET}` : padded;
      })
      .join("  ")
      .trimEnd();
  const head = line(COLUMNS.map((c) => HEADER[c]));
  return [
    colour ? `${BOLD}${head}${RESET}` : head,
    ...rows.map((r) =>
      line(
        COLUMNS.map((c) => r[c]),
        colour ? COLOURS[r.state] : undefined,
      ),
    ),
  ];
}

/** The whole screen on a terminal: the table, then the latest events. */
export function renderScreen(rows: readonly AppRow[], history: readonly string[], colour: boolean): string[] {
  const recent = history.slice(-8);
  return [
    ...renderTable(rows, colour),
    "",
    colour ? `${BOLD}Recent${RESET}` : "Recent",
    ...(recent.length ? recent.map((h) => `  ${h}`) : ["  (nothing yet)"]),
  ];
}

/**
 * A row as one plain line, for a log or a pipe: the countdown is rounded to 10 s so that a line is
 * printed when something changes, not every second.
 */
export function plainLine(r: AppRow): string {
  const sleep = r.sleep.replace(
    /sleeps in (?:(\d+) m )?(\d+) s/,
    (_m, min: string | undefined, sec: string) => {
      const total = Number(min ?? 0) * 60 + Number(sec);
      return `sleeps in ~${Math.ceil(total / 10) * 10} s`;
    },
  );
  return [r.app, r.state, `ready ${r.replicas}`, sleep, r.lastWake].filter(Boolean).join("  ");
}
