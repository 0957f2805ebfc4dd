import type { Clock } from "../clock.js";
import { ConfigError, ConfigErrors } from "../config/config.js";
import { isPreset, PRESET_NAMES, PRESETS, type PresetName } from "./prometheus/presets.js";
import {
  checkTemplate,
  expand,
  lastIncreaseExpr,
  lastPositiveExpr,
  promqlSyntaxError,
  seconds,
  tag,
} from "./prometheus/promql.js";
import { parseBaseUrl, readSmallFile, secretReader, send, type HttpTarget } from "./shared/http.js";
import {
  MetricsSourceError,
  serviceOf,
  targetKey,
  type ActivityResult,
  type SourceContext,
  type SourceTarget,
  type TrafficMetricsSource,
} from "./types.js";

/** How the Prometheus source reaches Prometheus and reads its series. */
export interface PrometheusOptions {
  http: HttpTarget;
  preset: PresetName;
  scrapeIntervalMs: number;
  /** Overrides every preset's scrape-target selector (templated). */
  upQuery?: string;
}

/** A rejected query (HTTP 400/422): the query, not Prometheus, is at fault. */
class BadQueryError extends MetricsSourceError {}

interface Sample {
  metric: Record<string, string>;
  value: number;
}

/**
 * Prometheus: one grouped query per query shape for all targets, plus one query proving, for the
 * targets without recent traffic, that the scrape target counting their requests was up all along.
 */
export class PrometheusSource implements TrafficMetricsSource {
  readonly kind = "prometheus";
  /** HTTP queries sent so far. */
  queries = 0;

  constructor(
    private readonly o: PrometheusOptions,
    private readonly clock: Clock,
  ) {}

  async lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
    const out = new Map<string, ActivityResult>();
    const byPreset = new Map<PresetName, SourceTarget[]>();
    const custom: { t: SourceTarget; expr: string }[] = [];
    const upPreset = new Map<string, PresetName>();
    const fail = (t: SourceTarget, msg: string): void => {
      out.set(targetKey(t), new MetricsSourceError(this.kind, msg));
    };
    for (const t of targets) {
      const q = t.query?.trim();
      let preset = this.o.preset;
      if (q !== undefined && q.startsWith("preset:")) {
        const name = q.slice("preset:".length).trim();
        if (!isPreset(name)) {
          fail(t, `kubenap/query names unknown preset "${name}"; available: ${PRESET_NAMES.join(", ")}`);
          continue;
        }
        preset = name;
      } else if (q !== undefined) {
        const e = expand(q, t);
        const problem = e.ok ? promqlSyntaxError(e.text) : e.reason;
        if (problem !== undefined || !e.ok) {
          fail(t, `kubenap/query is not a valid query: ${problem ?? "invalid"}`);
          continue;
        }
        custom.push({ t, expr: e.text });
        upPreset.set(targetKey(t), preset);
        continue;
      }
      byPreset.set(preset, [...(byPreset.get(preset) ?? []), t]);
      upPreset.set(targetKey(t), preset);
    }
    const seen = new Map<string, number>();
    const failed = (ts: readonly SourceTarget[], err: unknown): void => {
      const e = asSourceError(err);
      for (const t of ts) out.set(targetKey(t), e);
    };
    await Promise.all([
      ...[...byPreset].map(([p, ts]) => this.presetActivity(p, ts, seen).catch((err) => failed(ts, err))),
      this.customActivity(custom, seen, failed),
    ]);

    // Quiet targets (nothing seen within idleAfter) sleep only if the counting scrape target was up all along.
    const now = this.clock.now();
    const quiet: SourceTarget[] = [];
    for (const t of targets) {
      const key = targetKey(t);
      if (out.has(key)) continue;
      const at = seen.get(key);
      if (at !== undefined && now - at < t.idleAfterMs) out.set(key, { kind: "seen", at: new Date(at) });
      else quiet.push(t);
    }
    if (quiet.length === 0) return out;
    try {
      const proofs = await this.prove(quiet, upPreset);
      for (const t of quiet) {
        const key = targetKey(t);
        const problem = proofs.get(key);
        const at = seen.get(key);
        if (problem !== undefined) out.set(key, new MetricsSourceError(this.kind, problem));
        else
          out.set(
            key,
            at !== undefined
              ? { kind: "seen", at: new Date(at) }
              : { kind: "none", lookbackMs: t.idleAfterMs },
          );
      }
    } catch (err) {
      failed(quiet, err);
    }
    return out;
  }

  private async presetActivity(p: PresetName, ts: SourceTarget[], seen: Map<string, number>): Promise<void> {
    const preset = PRESETS[p];
    const windowMs = Math.max(...ts.map((t) => t.idleAfterMs)) + this.o.scrapeIntervalMs;
    const selector = `${preset.metric}{${preset.matchers(ts)}}`;
    const result = await this.query(lastIncreaseExpr(selector, preset.by, windowMs, this.o.scrapeIntervalMs));
    for (const s of result) {
      for (const t of preset.owners(s.metric, ts)) note(seen, targetKey(t), s.value * 1000);
    }
  }

  /** All templated queries in one request; if Prometheus rejects it, each alone so one bad query blinds no other. */
  private async customActivity(
    custom: { t: SourceTarget; expr: string }[],
    seen: Map<string, number>,
    failed: (ts: readonly SourceTarget[], err: unknown) => void,
  ): Promise<void> {
    if (custom.length === 0) return;
    const step = this.o.scrapeIntervalMs;
    const one = (c: { t: SourceTarget; expr: string }, i: number): string =>
      tag(lastPositiveExpr(c.expr, c.t.idleAfterMs + step, step), "kubenap_target", String(i));
    const apply = (result: Sample[], group: { t: SourceTarget; expr: string }[]): void => {
      for (const s of result) {
        const c = group[Number(s.metric.kubenap_target)];
        if (c) note(seen, targetKey(c.t), s.value * 1000);
      }
    };
    try {
      apply(await this.query(custom.map(one).join(" or ")), custom);
    } catch (err) {
      if (!(err instanceof BadQueryError) || custom.length === 1)
        return failed(
          custom.map((c) => c.t),
          err,
        );
      await Promise.all(
        custom.map(async (c) => {
          try {
            apply(await this.query(one(c, 0)), [c]);
          } catch (e) {
            failed([c.t], e);
          }
        }),
      );
    }
  }

  /**
   * One query for all quiet targets: for each distinct (scrape-target selector, window), whether the
   * selector was never down (min of up = 1) and scraped throughout (enough samples). Returns, per
   * target key, why its quiet cannot be trusted (absent: proven).
   */
  private async prove(
    quiet: SourceTarget[],
    upPreset: Map<string, PresetName>,
  ): Promise<Map<string, string>> {
    const problems = new Map<string, string>();
    const checks = new Map<string, { id: number; selector: string; windowMs: number }>();
    const checkOf = new Map<string, { id: number; selector: string; windowMs: number }>();
    for (const t of quiet) {
      const template = this.o.upQuery ?? PRESETS[upPreset.get(targetKey(t)) ?? this.o.preset].up;
      const e = expand(template, t);
      if (!e.ok) {
        problems.set(targetKey(t), `cannot build the scrape-target check: ${e.reason}`);
        continue;
      }
      const id = `${t.idleAfterMs}|${e.text}`;
      let c = checks.get(id);
      if (!c) checks.set(id, (c = { id: checks.size, selector: e.text, windowMs: t.idleAfterMs }));
      checkOf.set(targetKey(t), c);
    }
    if (checks.size === 0) return problems;
    const parts = [...checks.values()].flatMap((c) => {
      const w = seconds(c.windowMs);
      return [
        tag(
          tag(`min(min_over_time(${c.selector}[${w}]))`, "kubenap_check", "min"),
          "kubenap_id",
          String(c.id),
        ),
        tag(
          tag(`max(count_over_time(${c.selector}[${w}]))`, "kubenap_check", "count"),
          "kubenap_id",
          String(c.id),
        ),
      ];
    });
    const values = new Map<string, number>();
    for (const s of await this.query(parts.join(" or "))) {
      values.set(`${s.metric.kubenap_id}/${s.metric.kubenap_check}`, s.value);
    }
    for (const [key, c] of checkOf) {
      const min = values.get(`${c.id}/min`);
      const count = values.get(`${c.id}/count`) ?? 0;
      const need = Math.max(1, Math.floor(c.windowMs / this.o.scrapeIntervalMs) - 1);
      const w = seconds(c.windowMs);
      const svc = quiet.find((t) => targetKey(t) === key);
      const what = `no request counted for service ${svc ? serviceOf(svc) : key} in the last ${w}, but`;
      if (min === undefined)
        problems.set(key, `${what} its scrape target ${c.selector} has no samples: cannot tell`);
      else if (min < 1)
        problems.set(key, `${what} its scrape target ${c.selector} was down meanwhile: cannot tell`);
      else if (count < need)
        problems.set(
          key,
          // Constant text (no sample count), so the de-duplicated Event is not repeated every sweep.
          `${what} its scrape target ${c.selector} has fewer samples than a ${seconds(this.o.scrapeIntervalMs)} scrape interval gives: Prometheus or the target was not up all along`,
        );
    }
    return problems;
  }

  private async query(expr: string): Promise<Sample[]> {
    this.queries++;
    const base = this.o.http.base.origin;
    let a;
    try {
      a = await send(this.o.http, "api/v1/query", { query: expr, time: String(this.clock.now() / 1000) });
    } catch (err) {
      throw new MetricsSourceError(
        this.kind,
        `Prometheus at ${base} did not answer: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    let body: {
      status?: string;
      error?: string;
      errorType?: string;
      data?: { resultType?: string; result?: unknown };
    };
    try {
      body = JSON.parse(a.body) as typeof body;
    } catch {
      throw new MetricsSourceError(this.kind, `Prometheus at ${base} answered HTTP ${a.status} without JSON`);
    }
    if (body.status !== "success") {
      const msg = `Prometheus at ${base} rejected the query (HTTP ${a.status} ${body.errorType ?? ""}): ${(body.error ?? "").slice(0, 300)}`;
      throw a.status === 400 || a.status === 422
        ? new BadQueryError(this.kind, msg)
        : new MetricsSourceError(this.kind, msg);
    }
    if (body.data?.resultType !== "vector" || !Array.isArray(body.data.result)) {
      throw new MetricsSourceError(
        this.kind,
        `Prometheus answered a ${body.data?.resultType ?? "missing"} result, not a vector`,
      );
    }
    return (body.data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({
      metric: r.metric,
      value: Number(r.value[1]),
    }));
  }
}

function note(seen: Map<string, number>, key: string, atMs: number): void {
  if (Number.isFinite(atMs) && atMs > (seen.get(key) ?? -Infinity)) seen.set(key, atMs);
}

function asSourceError(err: unknown): MetricsSourceError {
  return err instanceof MetricsSourceError
    ? err
    : new MetricsSourceError("prometheus", `query failed: ${(err as Error).message}`, { cause: err });
}

/** Builds the source from the configuration; every problem is a ConfigError naming its option. */
export function createPrometheusSource(ctx: SourceContext): PrometheusSource {
  const c = ctx.config;
  const problems: ConfigError[] = [];
  const base = parseBaseUrl("--prometheus-url", c.prometheusUrl, problems);
  const ca = readSmallFile("--prometheus-ca-file", c.prometheusCaFile, problems);
  readSmallFile("--prometheus-password-file", c.prometheusPasswordFile, problems);
  readSmallFile("--prometheus-bearer-token-file", c.prometheusBearerTokenFile, problems);
  const password = secretReader(c.prometheusPasswordFile, c.secrets.prometheusPassword);
  const token = secretReader(c.prometheusBearerTokenFile, c.secrets.prometheusBearerToken);
  if (c.prometheusUsername && password() === undefined) {
    problems.push(
      new ConfigError(
        "--prometheus-username",
        c.prometheusUsername,
        "needs --prometheus-password-file or $KUBENAP_PROMETHEUS_PASSWORD",
      ),
    );
  }
  if (c.prometheusUpQuery) {
    const p = checkTemplate(c.prometheusUpQuery);
    if (p) problems.push(new ConfigError("--prometheus-up-query", c.prometheusUpQuery, p));
  }
  if (problems.length > 0 || !base) throw new ConfigErrors(problems);
  return new PrometheusSource(
    {
      http: {
        base,
        timeoutMs: c.prometheusTimeoutMs,
        ...(ca && { ca }),
        headers: (): Record<string, string> => {
          const t = token();
          if (t) return { authorization: `Bearer ${t}` };
          const user = c.prometheusUsername;
          return user
            ? { authorization: `Basic ${Buffer.from(`${user}:${password() ?? ""}`).toString("base64")}` }
            : {};
        },
      },
      preset: c.prometheusPreset,
      scrapeIntervalMs: c.prometheusScrapeInterval,
      ...(c.prometheusUpQuery && { upQuery: c.prometheusUpQuery }),
    },
    ctx.clock,
  );
}
