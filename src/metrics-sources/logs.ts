import type { Clock, Timers } from "../clock.js";
import { ConfigError, ConfigErrors } from "../config/config.js";
import { PARSERS, type Hit, type LogFormat } from "./logs/formats.js";
import { envoyClusterService, RouteTable, type ServiceKey } from "./logs/routes.js";
import { DEFAULT_LIMITS, FileTailer } from "./logs/tail.js";
import {
  MetricsSourceError,
  serviceOf,
  targetKey,
  type ActivityResult,
  type SourceContext,
  type SourceTarget,
  type TrafficMetricsSource,
} from "./types.js";

/** Formats whose upstream cluster names any Service (Istio), routed by an Ingress or not. */
const ENVOY_FORMATS: ReadonlySet<LogFormat> = new Set(["envoy", "envoy-json"]);

/** Upstream names remembered at most (ingress-nginx's `ns-svc-port` are resolved per sweep). */
const MAX_UPSTREAMS = 10_000;

/** What the logs source needs. */
export interface LogsOptions {
  files: readonly string[];
  format: LogFormat;
  pollIntervalMs: number;
  ingresses: SourceContext["ingresses"];
  /** Read files from their start rather than their end (benchmarks); production tails. */
  readExisting?: boolean;
}

/**
 * Access logs: tails NGINX or Envoy log files beside the ingress, maps each request (host and path
 * through the Ingress rules, or the upstream name) to a Service, and remembers when each was last
 * hit. Until it has watched every file for an app's idleAfter, it cannot say "no traffic".
 */
export class LogsSource implements TrafficMetricsSource {
  readonly kind = "logs";
  private readonly tailers: FileTailer[];
  private readonly lastSeen = new Map<ServiceKey, number>();
  private readonly upstreams = new Map<string, number>();
  private routes: RouteTable;
  private routesFrom: unknown;
  private timer: unknown;
  private polling: Promise<void> | undefined;
  private now = 0;

  constructor(
    private readonly o: LogsOptions,
    private readonly clock: Clock & Timers,
  ) {
    const parse = PARSERS[o.format];
    this.routes = new RouteTable([]);
    this.tailers = o.files.map(
      (f) => new FileTailer(f, (line) => this.hit(parse(line)), DEFAULT_LIMITS, !o.readExisting),
    );
    this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      void this.poll().finally(() => {
        if (this.timer !== undefined) this.schedule(this.o.pollIntervalMs);
      });
    }, ms);
  }

  /** Reads every file once (the timer calls it; tests and benchmarks may too); calls share one read. */
  poll(): Promise<void> {
    this.polling ??= this.readAll().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async readAll(): Promise<void> {
    const ingresses = this.o.ingresses.list();
    if (ingresses !== this.routesFrom) {
      this.routes = new RouteTable(ingresses);
      this.routesFrom = ingresses;
    }
    for (const t of this.tailers) {
      this.now = this.clock.now();
      await t.poll(this.now);
    }
  }

  private hit(h: Hit | undefined): void {
    if (!h) return;
    if (h.upstream !== undefined) {
      const svc = envoyClusterService(h.upstream);
      if (svc) return void this.lastSeen.set(svc, this.now);
      // Bounded: past MAX_UPSTREAMS names, the one first seen longest ago is forgotten.
      this.upstreams.set(h.upstream, this.now);
      if (this.upstreams.size > MAX_UPSTREAMS) {
        const oldest = this.upstreams.keys().next().value;
        if (oldest !== undefined) this.upstreams.delete(oldest);
      }
      return;
    }
    for (const svc of this.routes.lookup(h.host, h.path)) this.lastSeen.set(svc, this.now);
  }

  lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
    const now = this.clock.now();
    const out = new Map<string, ActivityResult>();
    const problems = this.tailers.map((t) => t.problem).filter((p) => p !== undefined);
    const since = Math.max(...this.tailers.map((t) => t.watchingSince ?? Infinity));
    for (const t of targets) {
      const svc = `${t.namespace}/${serviceOf(t)}`;
      let at = this.lastSeen.get(svc);
      const prefix = `${t.namespace}-${serviceOf(t)}-`;
      for (const [u, when] of this.upstreams) {
        if (u.startsWith(prefix) && !u.slice(prefix.length).includes("-") && when > (at ?? -Infinity))
          at = when;
      }
      // Recent traffic is certain; a claim of quiet needs every file watched without a break since.
      if (at !== undefined && now - at < t.idleAfterMs)
        out.set(targetKey(t), { kind: "seen", at: new Date(at) });
      else if (problems.length > 0 || !Number.isFinite(since))
        out.set(
          targetKey(t),
          new MetricsSourceError(this.kind, problems.join("; ") || "log files not read yet"),
        );
      else if (!this.routes.routes(svc) && !ENVOY_FORMATS.has(this.o.format))
        // Quiet logs prove nothing about an app the logged ingress never routes to.
        out.set(
          targetKey(t),
          new MetricsSourceError(
            this.kind,
            `no Ingress rule routes to Service ${svc}, so its requests cannot be in these logs`,
          ),
        );
      else if (at !== undefined && at >= since) out.set(targetKey(t), { kind: "seen", at: new Date(at) });
      else out.set(targetKey(t), { kind: "none", lookbackMs: now - since });
    }
    return Promise.resolve(out);
  }

  /** Bytes read from all files so far. */
  bytesRead(): number {
    return this.tailers.reduce((n, t) => n + t.bytesRead, 0);
  }

  /** Stops polling and closes the files. */
  async close(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
    await Promise.all(this.tailers.map((t) => t.close()));
  }
}

/** Builds the source from the configuration; every problem is a ConfigError naming its option. */
export function createLogsSource(ctx: SourceContext): LogsSource {
  const c = ctx.config;
  if (c.logsFiles.length === 0) {
    throw new ConfigErrors([new ConfigError("--logs-files", "", "required by the logs metrics source")]);
  }
  return new LogsSource(
    {
      files: c.logsFiles,
      format: c.logsFormat,
      pollIntervalMs: c.logsPollInterval,
      ingresses: ctx.ingresses,
    },
    ctx.clock,
  );
}
