// What a journey needs from the e2e world: where it is, and processes started inside its namespace.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { inNetns } from "../../cluster/netns.js";

/** The world's coordinates (from global-setup.js). */
export function world(): {
  netns: string;
  innerKubeconfig: string;
  bin: string;
  proxies: string;
  dir: string;
} {
  const e = process.env;
  if (!e.KUBENAP_E2E_NETNS) throw new Error("the e2e world is not running (test/e2e/global-setup.js)");
  return {
    netns: e.KUBENAP_E2E_NETNS,
    innerKubeconfig: e.KUBENAP_E2E_INNER_KUBECONFIG ?? "",
    bin: e.KUBENAP_E2E_BIN ?? "",
    proxies: e.KUBENAP_E2E_PROXIES ?? "",
    dir: e.KUBENAP_E2E_DIR ?? "",
  };
}

/** Where journeys write logs, configs and screenshots (kept after the run). */
export function artifacts(...sub: string[]): string {
  const dir = join(process.cwd(), "test-artifacts", "e2e", ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A long-running process inside the namespace, its output in a log file. */
export class NetnsProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly lines: string[] = [];
  private readonly waiters: { pred: (l: string) => boolean; resolve: () => void }[] = [];

  constructor(
    readonly name: string,
    argv: string[],
    readonly log: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const full = inNetns(world().netns, argv);
    this.child = spawn(full[0] ?? "setpriv", full.slice(1), { stdio: ["ignore", "pipe", "pipe"], env });
    this.exited = new Promise((r) => this.child.once("exit", (code) => r(code)));
    const out = createWriteStream(log);
    for (const s of [this.child.stdout, this.child.stderr]) {
      if (!s) continue;
      s.pipe(out, { end: false });
      createInterface({ input: s }).on("line", (l) => {
        this.lines.push(l);
        if (this.lines.length > 5000) this.lines.splice(0, 1000);
        for (const w of [...this.waiters]) {
          if (w.pred(l)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      });
    }
  }

  /** Resolves when a line (past or future) matches; rejects on exit or after timeoutMs. */
  waitLine(pred: (l: string) => boolean, timeoutMs = 30_000): Promise<void> {
    if (this.lines.some(pred)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const fail = (why: string): void =>
        reject(
          new Error(`${this.name}: ${why}; last lines (${this.log}):\n${this.lines.slice(-20).join("\n")}`),
        );
      const timer = setTimeout(() => fail(`no matching line within ${timeoutMs} ms`), timeoutMs);
      void this.exited.then((code) => {
        clearTimeout(timer);
        fail(`exited with ${code}`);
      });
      this.waiters.push({ pred, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const killer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
      await this.exited;
      clearTimeout(killer);
    }
  }
}

/** Runs a command inside the namespace to completion; resolves with its stdout. */
export function runInNetns(argv: string[], timeoutMs = 120_000): Promise<string> {
  const full = inNetns(world().netns, argv);
  return new Promise((resolve, reject) => {
    execFile(
      full[0] ?? "setpriv",
      full.slice(1),
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${argv.join(" ")}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Polls a URL inside the namespace until it answers (any status); for proxies that log no "ready" line. */
export async function waitHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      await runInNetns(["curl", "-s", "-o", "/dev/null", "--max-time", "2", url], 5_000);
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${last}`);
}
