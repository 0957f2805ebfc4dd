import type { client, v1 } from "@datadog/datadog-api-client";
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

/** How the Datadog source reaches the metrics query API. */
export interface DatadogOptions {
  site: string;
  /** Overrides the site's API URL (a proxy, or a test server). */
  url?: string;
  apiKey: () => string | undefined;
  appKey: () => string | undefined;
  /** A metrics query grouped `by {<namespace tag>,<service tag>}`. */
  query: string;
  intervalMs: number;
  timeoutMs: number;
}

/** The two `by {…}` tags of a query: the first names the namespace, the second the Service. */
export function groupTags(query: string): [string, string] | undefined {
  const m = /\bby\s*\{\s*([^,}\s]+)\s*,\s*([^,}\s]+)\s*[,}]/.exec(query);
  return m?.[1] && m[2] ? [m[1], m[2]] : undefined;
}

type DatadogClient = typeof import("@datadog/datadog-api-client");
let loading: Promise<DatadogClient> | undefined;

/**
 * The official client, loaded when a DatadogSource is made (a process configured for Datadog starts
 * loading it at once, so the first sweep does not wait for it): it takes about 1.5 s to load here,
 * which every KubeNap start and every CLI command would pay otherwise, Datadog configured or not.
 */
function datadogClient(): Promise<DatadogClient> {
  loading ??= import("@datadog/datadog-api-client");
  return loading;
}

/** The client's fetch library, keeping the last response's headers (for X-RateLimit-Reset). */
class HeaderKeepingHttp implements client.HttpLibrary {
  lastHeaders: Record<string, string> = {};

  constructor(private readonly base: client.HttpLibrary) {}

  async send(request: client.RequestContext): Promise<client.ResponseContext> {
    const res = await this.base.send(request);
    this.lastHeaders = res.headers;
    return res;
  }
}

/**
 * Datadog: one metrics query per sweep for every app, grouped by namespace and Service tags, rolled
 * up by the interval. A quiet app is idle only if its series reported (zeros) over the whole window.
 * A 429 stops all queries until the rate limit resets (apps are unknown meanwhile).
 */
export class DatadogSource implements TrafficMetricsSource {
  readonly kind = "datadog";
  private blockedUntil = 0;
  /** Queries sent so far. */
  queries = 0;
  private readonly tags: [string, string];

  constructor(
    private readonly o: DatadogOptions,
    private readonly clock: Clock,
  ) {
    const tags = groupTags(o.query);
    if (!tags) throw new Error("the Datadog query needs a by {namespace-tag,service-tag} grouping");
    this.tags = tags;
    // A failed load is reported by the first query, which awaits the same promise.
    datadogClient().catch(() => undefined);
  }

  async lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
    const now = this.clock.now();
    if (now < this.blockedUntil) {
      throw new MetricsSourceError(
        this.kind,
        `Datadog rate limit reached: no query until ${new Date(this.blockedUntil).toISOString()}`,
      );
    }
    const step = this.o.intervalMs;
    const windowMs = Math.max(...targets.map((t) => t.idleAfterMs)) + 2 * step;
    const series = await this.query(Math.floor((now - windowMs) / 1000), Math.floor(now / 1000));
    const byService = new Map<string, [number, number | null][]>();
    for (const s of series) {
      const tag = (name: string): string | undefined =>
        s.tagSet?.find((t) => t.startsWith(`${name}:`))?.slice(name.length + 1);
      const ns = tag(this.tags[0]);
      const svc = tag(this.tags[1]);
      if (ns === undefined || svc === undefined) continue;
      const points: [number, number | null][] = (s.pointlist ?? [])
        .filter((p) => typeof p[0] === "number")
        .map((p) => [p[0] ?? 0, (p[1] as number | null | undefined) ?? null]);
      byService.set(`${ns}/${svc}`, [...(byService.get(`${ns}/${svc}`) ?? []), ...points]);
    }
    const out = new Map<string, ActivityResult>();
    for (const t of targets)
      out.set(targetKey(t), this.judge(t, byService.get(`${t.namespace}/${serviceOf(t)}`), now));
    return out;
  }

  private judge(t: SourceTarget, points: [number, number | null][] | undefined, now: number): ActivityResult {
    const step = this.o.intervalMs;
    const what = `${this.tags[0]}:${t.namespace},${this.tags[1]}:${serviceOf(t)}`;
    if (!points || points.length === 0) {
      return new MetricsSourceError(
        this.kind,
        `no ${what} series in the last ${t.idleAfterMs / 1000}s: cannot tell`,
      );
    }
    const sorted = [...points].sort((a, b) => a[0] - b[0]);
    const traffic = sorted.filter((p) => (p[1] ?? 0) > 0).pop();
    // A point stands for the interval it starts; the last request may be as late as its end.
    const at = traffic ? Math.min(now, traffic[0] + step) : undefined;
    if (at !== undefined && now - at < t.idleAfterMs) return { kind: "seen", at: new Date(at) };
    // Quiet: the series must have reported over the whole window, zeros included.
    const start = now - t.idleAfterMs;
    const inWindow = sorted.filter((p) => p[0] + step > start);
    const first = inWindow[0]?.[0];
    const last = inWindow[inWindow.length - 1]?.[0];
    let gap = 0;
    for (let i = 1; i < inWindow.length; i++)
      gap = Math.max(gap, (inWindow[i]?.[0] ?? 0) - (inWindow[i - 1]?.[0] ?? 0));
    if (
      first === undefined ||
      last === undefined ||
      first > start + step ||
      last < now - 3 * step ||
      gap > 2 * step
    ) {
      return new MetricsSourceError(
        this.kind,
        `no request in ${what}, but its series did not report over the whole ${t.idleAfterMs / 1000}s: cannot tell`,
      );
    }
    return at !== undefined
      ? { kind: "seen", at: new Date(at) }
      : { kind: "none", lookbackMs: t.idleAfterMs };
  }

  private async query(from: number, to: number): Promise<v1.MetricsQueryMetadata[]> {
    this.queries++;
    const { client, v1 } = await datadogClient();
    const http = new HeaderKeepingHttp(new client.IsomorphicFetchHttpLibrary());
    const config = client.createConfiguration({
      authMethods: { apiKeyAuth: this.o.apiKey() ?? "", appKeyAuth: this.o.appKey() ?? "" },
      httpApi: http,
      enableRetry: false,
      ...(this.o.url && { baseServer: new client.BaseServerConfiguration(this.o.url, {}) }),
    });
    if (!this.o.url) client.setServerVariables(config, { site: this.o.site });
    const api = new v1.MetricsApi(config);
    const query = this.o.query.includes(".rollup(")
      ? this.o.query
      : `${this.o.query}.rollup(sum, ${Math.max(1, Math.round(this.o.intervalMs / 1000))})`;
    let timer: NodeJS.Timeout | undefined;
    try {
      const res = await Promise.race([
        api.queryMetrics({ from, to, query }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.o.timeoutMs} ms`)),
            this.o.timeoutMs,
          );
        }),
      ]);
      if (res.status === "error")
        throw new MetricsSourceError(this.kind, `Datadog: ${res.error ?? "query error"}`);
      return res.series ?? [];
    } catch (err) {
      throw this.explain(err, http.lastHeaders, client);
    } finally {
      clearTimeout(timer);
    }
  }

  private explain(
    err: unknown,
    headers: Record<string, string>,
    { ApiException }: DatadogClient["client"],
  ): MetricsSourceError {
    if (err instanceof MetricsSourceError) return err;
    if (err instanceof ApiException) {
      const code = (err as client.ApiException<unknown>).code;
      if (code === 429) {
        const reset = Number(headers["x-ratelimit-reset"]);
        const waitS = Number.isFinite(reset) && reset > 0 ? reset : 60;
        this.blockedUntil = this.clock.now() + waitS * 1000;
        return new MetricsSourceError(
          this.kind,
          `Datadog rate limit reached (HTTP 429, limit ${headers["x-ratelimit-limit"] ?? "?"} per ${headers["x-ratelimit-period"] ?? "?"}s): no query for ${waitS}s`,
        );
      }
      if (code === 403 || code === 401) {
        return new MetricsSourceError(
          this.kind,
          `Datadog refused the keys (HTTP ${code}): check the API and application keys and the application key's timeseries_query scope`,
        );
      }
      return new MetricsSourceError(this.kind, `Datadog answered HTTP ${code}`);
    }
    return new MetricsSourceError(this.kind, `Datadog did not answer: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Builds the source from the configuration; every problem is a ConfigError naming its option. */
export function createDatadogSource(ctx: SourceContext): DatadogSource {
  const c = ctx.config;
  const problems: ConfigError[] = [];
  readSmallFile("--datadog-api-key-file", c.datadogApiKeyFile, problems);
  readSmallFile("--datadog-app-key-file", c.datadogAppKeyFile, problems);
  const apiKey = secretReader(c.datadogApiKeyFile, c.secrets.datadogApiKey);
  const appKey = secretReader(c.datadogAppKeyFile, c.secrets.datadogAppKey);
  if (problems.length === 0 && !apiKey()) {
    problems.push(new ConfigError("--datadog-api-key-file", "", "set it, or $DD_API_KEY"));
  }
  if (problems.length === 0 && !appKey()) {
    problems.push(new ConfigError("--datadog-app-key-file", "", "set it, or $DD_APP_KEY"));
  }
  if (!groupTags(c.datadogQuery)) {
    problems.push(
      new ConfigError("--datadog-query", c.datadogQuery, "needs a `by {namespace-tag,service-tag}` grouping"),
    );
  }
  if (!/^[a-z0-9.-]+$/.test(c.datadogSite)) {
    problems.push(new ConfigError("--datadog-site", c.datadogSite, "expected a site such as datadoghq.com"));
  }
  const url = c.datadogUrl ? parseBaseUrl("--datadog-url", c.datadogUrl, problems) : undefined;
  if (problems.length > 0) throw new ConfigErrors(problems);
  return new DatadogSource(
    {
      site: c.datadogSite,
      ...(url && { url: url.href.replace(/\/$/, "") }),
      apiKey,
      appKey,
      query: c.datadogQuery,
      intervalMs: c.datadogInterval,
      timeoutMs: c.datadogTimeoutMs,
    },
    ctx.clock,
  );
}
