// What every subcommand gets: where to write, whether that is a terminal, the environment; and the one
// error type that ends a command with a single line and an exit code (never a stack trace).

/** A subcommand's outputs and environment. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: colour, spinners and redraws are allowed. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/** Ends a command: `message` on stderr, then exit `code` (2: wrong usage; 1: anything else). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The process's own streams. */
export const processIO = (): CliIO => ({
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
});

/** ANSI colour on a terminal only. */
export function paint(io: CliIO, colour: "green" | "red" | "yellow" | "dim", text: string): string {
  if (!io.isTTY || io.env.NO_COLOR) return text;
  const code = { green: 32, red: 31, yellow: 33, dim: 2 }[colour];
  return `\u001b[${code}m${text}\u001b[0m`;
}
