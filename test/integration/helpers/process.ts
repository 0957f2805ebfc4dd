import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { diesWithParent } from "../../cluster/dies-with-parent.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/** A KubeNap process (src/cli-like, with a test source) whose JSON log lines tests can await. */
export class KubenapProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  private readonly waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  readonly exited: Promise<void>;

  /**
   * The test harness (kubenap-process.ts) by default; `cli: true` runs the built `kubenap`
   * (dist/cli.js); `"dist"` the same test harness on the built code (kubenap-dist.js, starts faster).
   */
  constructor(args: string[], env: Record<string, string> = {}, cli: boolean | "dist" = false) {
    const argv =
      cli === "dist"
        ? [join(HERE, "kubenap-dist.js"), ...args]
        : cli
          ? [join(HERE, "..", "..", "..", "dist", "cli.js"), "run", ...args]
          : ["--import", "tsx", join(HERE, "kubenap-process.ts"), ...args];
    const [cmd = "setpriv", ...rest] = diesWithParent([process.execPath, ...argv]);
    this.child = spawn(cmd, rest, {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: join(HERE, "..", "..", ".."),
      env: { ...process.env, ...env },
    });
    this.exited = new Promise((r) => this.child.once("exit", () => r()));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (text) => {
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          line = { message: text };
        }
        line.receivedAt ??= Date.now();
        this.lines.push(line);
        for (const w of [...this.waiters]) {
          if (w.pred(line)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      });
    }
  }

  /** Resolves with the first log line (past or future) that matches; rejects after timeoutMs. */
  waitLog(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs = 30_000,
    includePast = true,
  ): Promise<Record<string, unknown>> {
    const past = includePast ? this.lines.find(pred) : undefined;
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const tail = this.lines
          .slice(-15)
          .map((l) => JSON.stringify(l))
          .join("\n");
        reject(
          new Error(`log line ${pred.toString()} not seen within ${timeoutMs} ms; last lines:\n${tail}`),
        );
      }, timeoutMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }

  /** Like waitLog, but only lines logged after the first `since` lines count (see `seen`). */
  waitLogSince(
    since: number,
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const past = this.lines.slice(since).find(pred);
    if (past) return Promise.resolve(past);
    return this.waitLog(pred, timeoutMs, false);
  }

  /** Number of log lines so far (to wait only for lines after this point). */
  get seen(): number {
    return this.lines.length;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

/** Waits until the process serves wakes (listening, informers synced) and returns its port. */
export async function wakePortOf(p: KubenapProcess, timeoutMs = 30_000): Promise<number> {
  const line = await p.waitLog((l) => l.message === "wake handler listening", timeoutMs);
  await p.waitLog((l) => l.message === "informers synced", timeoutMs);
  return Number(line.port);
}

/** Flags of a monitor-only `kubenap run` in one namespace with the test source and a short Lease. */
export function monitorFlags(o: {
  namespace: string;
  identity: string;
  sweepInterval: string;
  leaseMs: number;
}): string[] {
  return [
    "--kubeconfig",
    process.env.KUBENAP_TEST_KUBECONFIG ?? "",
    "--namespaces",
    o.namespace,
    "--metrics-source",
    "test",
    "--sweep-interval",
    o.sweepInterval,
    "--lease-namespace",
    o.namespace,
    "--lease-duration",
    `${o.leaseMs}ms`,
    "--lease-retry",
    "500ms",
    "--identity",
    o.identity,
    "--wake-port",
    "0",
    "--log-level",
    "debug",
  ];
}
