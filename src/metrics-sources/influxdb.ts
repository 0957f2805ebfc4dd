import { HttpError, InfluxDB } from "@influxdata/influxdb-client";
import type { Clock } from "../clock.js";
import { ConfigError, ConfigErrors } from "../config/config.js";
import { parseBaseUrl, readSmallFile, secretReader } from "./shared/http.js";
import {
  MetricsSourceError,
  serviceOf,
  targetKey,
  type ActivityResult,
  type SourceContext,
  type SourceTarget,
  type TrafficMetricsSource,
} from "./types.js";

/** How the InfluxDB source reaches InfluxDB and which series hold the request counters. */
export interface InfluxOptions {
  url: string;
  org: string;
  bucket: string;
  token: () => string | undefined;
  measurement: string;
  field: string;
  reportIntervalMs: number;
  timeoutMs: number;
}

interface Row {
  result: string;
  _time?: string;
  _value?: string | number;
  namespace?: string;
  service?: string;
}

/** Per (namespace, service): last traffic, and how its counters were reported over the window. */
interface Facts {
  moved?: number;
  first?: number;
  firstValue?: number;
  last?: number;
  count: number;
}

const PLACEHOLDERS = ["namespace", "service", "ingress", "deployment", "start"] as const;

/** A Flux string literal. */
const str = (s: string): string => JSON.stringify(s);

/**
 * Expands a templated Flux stream for one target, or says why it cannot: {namespace}, {service},
 * {ingress}, {deployment} and {start} (the range start, e.g. `-15m`).
 */
export function expandFlux(
  template: string,
  t: SourceTarget,
  start: string,
): { text?: string; reason?: string } {
  const values: Record<string, string | undefined> = {
    namespace: t.namespace,
    service: serviceOf(t),
    ingress: t.ingress,
    deployment: t.name,
    start,
  };
  let reason: string | undefined;
  const text = template.replace(/\{([a-zA-Z_]+)\}/g, (whole, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      reason ??= `unknown placeholder {${name}}; available: ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`;
      return whole;
    }
    const v = values[name];
    if (v === undefined) reason ??= `{${name}} is used but the Deployment has no kubenap/${name}`;
    return v ?? whole;
  });
  if (reason === undefined && !template.includes("{start}"))
    reason = "a templated query must use range(start: {start})";
  return reason === undefined ? { text } : { reason };
}

/**
 * InfluxDB (Flux on /api/v2/query, InfluxDB 1.8+ and 2.x): one query per sweep for all apps that
 * finds, per counter series, the last point where the count moved (a drop to zero is a reset, not
 * traffic), plus when each series was first and last reported and how often. A quiet app is idle only
 * if its counter was reported all along the window.
 */
export class InfluxSource implements TrafficMetricsSource {
  readonly kind = "influxdb";
  /** Queries sent so far. */
  queries = 0;

  constructor(
    private readonly o: InfluxOptions,
    private readonly clock: Clock,
  ) {}

  async lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
    const out = new Map<string, ActivityResult>();
    const windowMs = Math.max(...targets.map((t) => t.idleAfterMs)) + 2 * this.o.reportIntervalMs;
    const start = `-${Math.ceil(windowMs / 1000)}s`;
    const plain: SourceTarget[] = [];
    const custom: { t: SourceTarget; stream: string }[] = [];
    for (const t of targets) {
      if (t.query === undefined) plain.push(t);
      else {
        const e = expandFlux(t.query, t, start);
        if (e.text !== undefined) custom.push({ t, stream: e.text });
        else
          out.set(
            targetKey(t),
            new MetricsSourceError(this.kind, `kubenap/query is not usable: ${e.reason}`),
          );
      }
    }
    const facts = new Map<string, Facts>();
    const fail = (ts: readonly SourceTarget[], err: unknown): void => {
      const e = this.explain(err);
      for (const t of ts) out.set(targetKey(t), e);
    };
    const run = async (p: SourceTarget[], c: { t: SourceTarget; stream: string }[]): Promise<void> => {
      for (const [k, f] of await this.query(this.flux(start, p, c))) facts.set(k, f);
    };
    try {
      await run(plain, custom);
    } catch (err) {
      // A templated query that does not compile fails the whole request: ask again without it, so
      // one app's typo blinds no other.
      if (custom.length === 0 || !(err instanceof HttpError)) fail(targets, err);
      else {
        await run(plain, []).catch((e: unknown) => fail(plain, e));
        for (const c of custom) await run([], [c]).catch((e: unknown) => fail([c.t], e));
      }
    }
    const now = this.clock.now();
    for (const t of targets) {
      const key = targetKey(t);
      if (!out.has(key))
        out.set(key, this.judge(t, facts.get(`${t.namespace}/${serviceOf(t)}`), now, windowMs));
    }
    return out;
  }

  private judge(t: SourceTarget, f: Facts | undefined, now: number, windowMs: number): ActivityResult {
    const step = this.o.reportIntervalMs;
    const what = `${this.o.measurement}.${this.o.field} for namespace=${t.namespace} service=${serviceOf(t)}`;
    if (!f || f.first === undefined || f.last === undefined) {
      return new MetricsSourceError(
        this.kind,
        `no ${what} in the last ${Math.round(windowMs / 1000)}s: cannot tell`,
      );
    }
    let at = f.moved;
    // A series that appeared inside the window with a positive count counted requests before its first report.
    if (f.first > now - windowMs + step && (f.firstValue ?? 0) > 0) at = Math.max(at ?? 0, f.first);
    if (at !== undefined && now - at < t.idleAfterMs) return { kind: "seen", at: new Date(at) };
    const expected = Math.floor((f.last - f.first) / step) - 1;
    if (f.first > now - t.idleAfterMs || f.last < now - 2 * step || f.count < expected) {
      return new MetricsSourceError(
        this.kind,
        `no request in ${what}, but it was not reported all along the last ${t.idleAfterMs / 1000}s (every ${step / 1000}s): cannot tell`,
      );
    }
    return at !== undefined
      ? { kind: "seen", at: new Date(at) }
      : { kind: "none", lookbackMs: t.idleAfterMs };
  }

  /** The one Flux query: the plain targets' counters and each templated stream, tagged with its app. */
  private flux(start: string, plain: SourceTarget[], custom: { t: SourceTarget; stream: string }[]): string {
    const streams: string[] = [];
    const lines: string[] = [];
    if (plain.length > 0) {
      const ns = `[${[...new Set(plain.map((t) => str(t.namespace)))].join(", ")}]`;
      const svc = `[${[...new Set(plain.map((t) => str(serviceOf(t))))].join(", ")}]`;
      lines.push(
        `main = from(bucket: ${str(this.o.bucket)}) |> range(start: ${start})` +
          ` |> filter(fn: (r) => r._measurement == ${str(this.o.measurement)} and r._field == ${str(this.o.field)})` +
          ` |> filter(fn: (r) => contains(value: r.namespace, set: ${ns}) and contains(value: r.service, set: ${svc}))`,
      );
      streams.push("main");
    }
    custom.forEach((c, i) => {
      lines.push(
        `c${i} = (${c.stream}) |> set(key: "namespace", value: ${str(c.t.namespace)}) |> set(key: "service", value: ${str(serviceOf(c.t))})`,
      );
      streams.push(`c${i}`);
    });
    const keep = (cols: string[]): string => `keep(columns: [${cols.map(str).join(", ")}])`;
    lines.push(
      streams.length === 1 ? `data = ${streams[0] ?? ""}` : `data = union(tables: [${streams.join(", ")}])`,
      `data |> duplicate(column: "_value", as: "v") |> difference(columns: ["_value"], nonNegative: false)` +
        ` |> filter(fn: (r) => r._value != 0 and r.v > 0) |> last() |> ${keep(["_time", "namespace", "service"])} |> yield(name: "moved")`,
      `data |> first() |> ${keep(["_time", "_value", "namespace", "service"])} |> yield(name: "first")`,
      `data |> last() |> ${keep(["_time", "namespace", "service"])} |> yield(name: "last")`,
      `data |> count() |> ${keep(["_value", "namespace", "service"])} |> yield(name: "count")`,
    );
    return lines.join("\n");
  }

  private async query(flux: string): Promise<Map<string, Facts>> {
    this.queries++;
    const token = this.o.token();
    const api = new InfluxDB({
      url: this.o.url,
      timeout: this.o.timeoutMs,
      ...(token && { token }),
    }).getQueryApi(this.o.org || "-");
    const rows = await api.collectRows<Row>(flux);
    const facts = new Map<string, Facts>();
    for (const r of rows) {
      if (r.namespace === undefined || r.service === undefined) continue;
      const key = `${r.namespace}/${r.service}`;
      const f = facts.get(key) ?? { count: 0 };
      facts.set(key, f);
      const time = r._time ? Date.parse(r._time) : NaN;
      // Several series (pods) per app: the latest move, the earliest first, the latest last, the most reports.
      if (r.result === "moved" && time > (f.moved ?? -Infinity)) f.moved = time;
      else if (r.result === "first" && time < (f.first ?? Infinity)) {
        f.first = time;
        f.firstValue = Number(r._value);
      } else if (r.result === "last" && time > (f.last ?? -Infinity)) f.last = time;
      else if (r.result === "count") f.count = Math.max(f.count, Number(r._value));
    }
    return facts;
  }

  private explain(err: unknown): MetricsSourceError {
    if (err instanceof MetricsSourceError) return err;
    if (err instanceof HttpError) {
      let msg = err.body ?? err.message;
      try {
        msg = (JSON.parse(err.body ?? "") as { error?: string; message?: string }).error ?? msg;
      } catch {
        // not JSON: the body as it is
      }
      return new MetricsSourceError(
        this.kind,
        `InfluxDB answered HTTP ${err.statusCode}: ${msg.slice(0, 300)}`,
      );
    }
    return new MetricsSourceError(
      this.kind,
      `InfluxDB at ${this.o.url} did not answer: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** Builds the source from the configuration; every problem is a ConfigError naming its option. */
export function createInfluxSource(ctx: SourceContext): InfluxSource {
  const c = ctx.config;
  const problems: ConfigError[] = [];
  const url = parseBaseUrl("--influxdb-url", c.influxdbUrl, problems);
  if (!c.influxdbBucket)
    problems.push(new ConfigError("--influxdb-bucket", "", "required by this metrics source"));
  readSmallFile("--influxdb-token-file", c.influxdbTokenFile, problems);
  if (problems.length > 0 || !url) throw new ConfigErrors(problems);
  return new InfluxSource(
    {
      url: url.href.replace(/\/$/, ""),
      org: c.influxdbOrg,
      bucket: c.influxdbBucket,
      token: secretReader(c.influxdbTokenFile, c.secrets.influxdbToken),
      measurement: c.influxdbMeasurement,
      field: c.influxdbField,
      reportIntervalMs: c.influxdbReportInterval,
      timeoutMs: c.influxdbTimeoutMs,
    },
    ctx.clock,
  );
}
