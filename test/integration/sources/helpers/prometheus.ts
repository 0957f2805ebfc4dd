import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../cluster/ports.js";
import { diesWithParent } from "../../../cluster/dies-with-parent.js";

/** A server on 127.0.0.1 and how to close it. */
async function listen(server: Server): Promise<{ port: number; close: () => Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    port,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One counter series an exporter path exposes. */
interface Series {
  metric: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * An exporter the test controls: each path (/metrics/<name>) is one scrape target exposing its
 * counters in the Prometheus text format; a path marked down answers 500 (Prometheus records up=0).
 */
export class Exporter {
  private readonly paths = new Map<string, Series[]>();
  readonly down = new Set<string>();
  /** Scrapes served per path. */
  readonly scrapes = new Map<string, number>();
  port = 0;
  private closeFn: (() => Promise<void>) | undefined;

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "").replace(/^\/metrics\//, "");
      this.scrapes.set(path, (this.scrapes.get(path) ?? 0) + 1);
      if (this.down.has(path) || !this.paths.has(path)) return void res.writeHead(500).end("down\n");
      const lines = (this.paths.get(path) ?? []).map((s) => {
        const labels = Object.entries(s.labels)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(",");
        return `${s.metric}{${labels}} ${s.value}`;
      });
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
    });
    const l = await listen(server);
    this.port = l.port;
    this.closeFn = l.close;
  }

  /** Declares a scrape target path (with no series yet). */
  target(path: string): void {
    if (!this.paths.has(path)) this.paths.set(path, []);
  }

  /** Sets a counter's value on a path (creating the series). */
  set(path: string, metric: string, labels: Record<string, string>, value: number): void {
    this.target(path);
    const list = this.paths.get(path) ?? [];
    const s = list.find((x) => x.metric === metric && JSON.stringify(x.labels) === JSON.stringify(labels));
    if (s) s.value = value;
    else list.push({ metric, labels, value });
  }

  /** Adds n requests to a counter. */
  inc(path: string, metric: string, labels: Record<string, string>, n = 1): void {
    const s = this.paths
      .get(path)
      ?.find((x) => x.metric === metric && JSON.stringify(x.labels) === JSON.stringify(labels));
    this.set(path, metric, labels, (s?.value ?? 0) + n);
  }

  /** Resolves after the next n scrapes of a path: the samples the test set are in Prometheus then. */
  async scraped(path: string, n = 1, timeoutMs = 15_000): Promise<void> {
    const target = (this.scrapes.get(path) ?? 0) + n;
    const start = Date.now();
    while ((this.scrapes.get(path) ?? 0) < target) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`${path} not scraped ${n} times in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    return this.closeFn?.() ?? Promise.resolve();
  }
}

/** A scrape job: name, exporter paths, and the target labels each path gets. */
export interface ScrapeJob {
  job: string;
  targets: { path: string; labels?: Record<string, string> }[];
}

/** Prometheus's own web security (`--web.config.file`): TLS and basic auth users (bcrypt hashes). */
export interface WebSecurity {
  certFile: string;
  keyFile: string;
  users: Record<string, string>;
}

/** A real Prometheus (Debian's package) on 127.0.0.1, scraping the exporter every intervalMs. */
export class Prometheus {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "kubenap-prom-"));
  port = 0;
  exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly exporterPort: number,
    private readonly intervalMs: number,
    private readonly web?: WebSecurity,
  ) {}

  /** Writes the configuration (all jobs) and starts Prometheus, or restarts it with the same data. */
  async start(jobs: ScrapeJob[]): Promise<void> {
    const s = `${this.intervalMs / 1000}s`;
    const config = {
      global: { scrape_interval: s, evaluation_interval: s, scrape_timeout: s },
      scrape_configs: jobs.map((j) => ({
        job_name: j.job,
        honor_labels: true,
        static_configs: j.targets.map((t) => ({
          targets: [`127.0.0.1:${this.exporterPort}`],
          labels: { __metrics_path__: `/metrics/${t.path}`, ...(t.labels ?? {}) },
        })),
      })),
    };
    writeFileSync(join(this.dir, "prometheus.yml"), JSON.stringify(config));
    const web = this.web && {
      tls_server_config: { cert_file: this.web.certFile, key_file: this.web.keyFile },
      basic_auth_users: this.web.users,
    };
    if (web) writeFileSync(join(this.dir, "web.yml"), JSON.stringify(web));
    if (this.port === 0) this.port = await freePort();
    const [cmd = "setpriv", ...args] = diesWithParent([
      "prometheus",
      `--config.file=${join(this.dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(this.dir, "data")}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      "--log.level=warn",
      ...(web ? [`--web.config.file=${join(this.dir, "web.yml")}`] : []),
    ]);
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    this.child = child;
    this.exited = new Promise((r) => child.once("exit", () => r()));
    const start = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
      if (Date.now() - start > 30_000) throw new Error(`prometheus not ready in 30 s: ${stderr}`);
      const ok = web
        ? await this.listening()
        : await fetch(`http://127.0.0.1:${this.port}/-/ready`).then(
            (r) => r.ok,
            () => false,
          );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** With TLS and auth, ready means it answers at all (401 without credentials). */
  private listening(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = httpsRequest(
        { host: "127.0.0.1", port: this.port, path: "/-/ready", rejectUnauthorized: false },
        (res) => {
          res.resume();
          resolve(res.statusCode === 401);
        },
      );
      req.on("error", () => resolve(false));
      req.end();
    });
  }

  /** Stops Prometheus and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) this.child.kill("SIGTERM");
    await this.exited;
  }

  /** Stops it and deletes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A proxy on 127.0.0.1 in front of Prometheus that counts the API requests KubeNap sends. */
export class CountingProxy {
  /** Requests to /api/v1/* so far. */
  count = 0;
  port = 0;
  private closeFn: (() => Promise<void>) | undefined;

  constructor(private readonly upstreamPort: () => number) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if ((req.url ?? "").startsWith("/api/v1/")) this.count++;
      const up = request(
        {
          host: "127.0.0.1",
          port: this.upstreamPort(),
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      // Prometheus down: the client sees the connection fail, as it would without the proxy.
      up.on("error", () => req.socket.destroy());
      req.pipe(up);
    });
    const l = await listen(server);
    this.port = l.port;
    this.closeFn = l.close;
  }

  close(): Promise<void> {
    return this.closeFn?.() ?? Promise.resolve();
  }
}
