import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../cluster/ports.js";
import { diesWithParent } from "../../../cluster/dies-with-parent.js";

/** Where test/cluster/build-influxd.sh caches the binary (KUBENAP_INFLUXD overrides). */
export function influxdBinary(): string {
  const path =
    process.env.KUBENAP_INFLUXD ??
    join(
      process.env.KUBENAP_CACHE ?? join(homedir(), ".cache", "kubenap"),
      "influxd-v1.13.2",
      "bin",
      "influxd",
    );
  if (!existsSync(path))
    throw new Error(`${path} is missing: run bash test/cluster/build-influxd.sh (.ci/run does)`);
  return path;
}

/** A real influxd 1.13 with Flux enabled, on 127.0.0.1, with one database. */
export class Influxd {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "kubenap-influxd-"));
  port = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly db = "kubenap") {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const rpc = await freePort();
    const d = this.dir;
    writeFileSync(
      join(d, "influxdb.conf"),
      [
        "reporting-disabled = true",
        `bind-address = "127.0.0.1:${rpc}"`,
        `[meta]\n  dir = "${d}/meta"`,
        `[data]\n  dir = "${d}/data"\n  wal-dir = "${d}/wal"\n  query-log-enabled = false`,
        `[http]\n  bind-address = "127.0.0.1:${this.port}"\n  flux-enabled = true\n  log-enabled = false`,
        "[monitor]\n  store-enabled = false",
        "",
      ].join("\n"),
    );
    const [cmd = "setpriv", ...args] = diesWithParent([influxdBinary(), "-config", join(d, "influxdb.conf")]);
    const child = spawn(cmd, args, {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    this.child = child;
    this.exited = new Promise((r) => child.once("exit", () => r()));
    const start = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`influxd exited: ${stderr}`);
      if (Date.now() - start > 30_000) throw new Error(`influxd not ready in 30 s: ${stderr}`);
      const ok = await fetch(`${this.url}/ping`).then(
        (r) => r.status === 204,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await fetch(`${this.url}/query`, {
      method: "POST",
      body: new URLSearchParams({ q: `CREATE DATABASE ${this.db}` }),
    });
    if (!res.ok) throw new Error(`CREATE DATABASE: HTTP ${res.status}`);
  }

  /** Writes line protocol (timestamps in ms). */
  async write(lines: string[]): Promise<void> {
    const res = await fetch(`${this.url}/write?db=${this.db}&precision=ms`, {
      method: "POST",
      body: lines.join("\n"),
    });
    if (res.status !== 204) throw new Error(`write: HTTP ${res.status} ${await res.text()}`);
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) this.child.kill("SIGTERM");
    await this.exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
