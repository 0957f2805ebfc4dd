// Long steps with visible progress: each line the step prints is shown indented, and while it is
// silent (a cold Go build is silent for minutes) a line says how long it has been running.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Prints a step's title. */
export const say = (text: string): void => void process.stdout.write(`${text}\n`);

/** "2m05s". */
export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/**
 * Runs a command to completion, echoing its output indented, with a "still running" line after each
 * `quietMs` of silence; resolves with its stdout, rejects with its last lines when it fails.
 */
export function runStep(
  title: string,
  argv: string[],
  opts: { quietMs?: number; env?: NodeJS.ProcessEnv; echoStdout?: boolean } = {},
): Promise<string> {
  say(`▸ ${title}`);
  const started = Date.now();
  const quiet = opts.quietMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] ?? "false", argv.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      env: opts.env ?? process.env,
    });
    let last = Date.now();
    let stdout = "";
    const tail: string[] = [];
    const show = (line: string): void => {
      last = Date.now();
      tail.push(line);
      if (tail.length > 20) tail.shift();
      say(`  │ ${line}`);
    };
    const ticker = setInterval(() => {
      if (Date.now() - last < quiet) return;
      last = Date.now();
      say(`  │ … still running (${elapsed(Date.now() - started)})`);
    }, 1_000);
    createInterface({ input: child.stderr }).on("line", show);
    createInterface({ input: child.stdout }).on("line", (l) => {
      stdout += `${l}\n`;
      if (opts.echoStdout) show(l);
    });
    child.once("error", (err) => {
      clearInterval(ticker);
      reject(new Error(`${title}: cannot run ${argv[0]}: ${err.message}`));
    });
    child.once("close", (code) => {
      clearInterval(ticker);
      if (code === 0) {
        say(`  ✓ done in ${elapsed(Date.now() - started)}`);
        resolve(stdout);
      } else reject(new Error(`${title} failed (exit ${code}):\n${tail.join("\n")}`));
    });
  });
}
