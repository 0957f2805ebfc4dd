import { paint, type CliIO } from "../io.js";

/** One doctor line: passed (or skipped, with why), or failed with the problem and its fix. */
export type Check = { ok: true; what: string } | { ok: false; what: string; problem: string; fix: string };

export const pass = (what: string): Check => ({ ok: true, what });
export const fail = (what: string, problem: string, fix: string): Check => ({
  ok: false,
  what,
  problem,
  fix,
});

/** `✓ what` or `✗ what: problem — fix: how`, coloured on a terminal. */
export function formatCheck(io: CliIO, c: Check): string {
  return c.ok
    ? `${paint(io, "green", "✓")} ${c.what}`
    : `${paint(io, "red", "✗")} ${c.what}: ${c.problem} — fix: ${c.fix}`;
}

/** The first line of an error's message (never a stack trace). */
export const firstLine = (err: unknown): string =>
  ((err as { message?: string }).message ?? String(err)).split("\n")[0] ?? String(err);
