import { Gauge, type Registry } from "prom-client";
import type { Logger } from "winston";
import type { ElectionProblem } from "./leader.js";

/** An informer as health sees it. */
export interface WatchHealth {
  readonly resource: string;
  readonly synced: boolean;
  health(): { failingForMs: number; lastError: string };
}

/** What /readyz answers. */
export interface ReadyzAnswer {
  ok: boolean;
  text: string;
}

/**
 * Readiness of a KubeNap replica: every informer listed, none failing for longer than the bound (a
 * 403'd or hung watch would otherwise let every wake time out behind a green /readyz), not draining.
 * Leader election problems are reported but do not fail readiness: the wake handler still serves,
 * and taking it out of its Service would strand every sleeping app.
 */
export class HealthReport {
  private readonly reported = new Set<string>();

  constructor(
    private readonly informers: readonly WatchHealth[],
    private readonly election: () => ElectionProblem | undefined,
    private readonly unhealthyAfterMs: number,
    private readonly logger: Logger,
  ) {}

  /** Resources whose watch has failed for longer than the bound, with the last error. */
  unhealthy(): { resource: string; failingForMs: number; lastError: string }[] {
    const out = [];
    for (const i of this.informers) {
      const h = i.health();
      const bad = h.failingForMs > this.unhealthyAfterMs;
      if (bad && !this.reported.has(i.resource)) {
        this.reported.add(i.resource);
        this.logger.error("watch unhealthy; /readyz fails until it recovers", {
          resource: i.resource,
          failingForMs: h.failingForMs,
          reason: h.lastError,
        });
      } else if (!bad) this.reported.delete(i.resource);
      if (bad) out.push({ resource: i.resource, ...h });
    }
    return out;
  }

  /** The first watch failing right now (any streak), e.g. "deployments": the caches may be stale. */
  failingNow(): string | undefined {
    return this.informers.find((i) => i.health().failingForMs > 0)?.resource;
  }

  readyz(draining: boolean): ReadyzAnswer {
    const lines: string[] = [];
    let ok = true;
    if (draining) {
      ok = false;
      lines.push("shutting down");
    }
    const notSynced = this.informers.filter((i) => !i.synced).map((i) => i.resource);
    if (notSynced.length > 0) {
      ok = false;
      lines.push(`informers not synced: ${notSynced.join(", ")}`);
    }
    for (const u of this.unhealthy()) {
      ok = false;
      lines.push(`watch of ${u.resource} failing for ${Math.round(u.failingForMs / 1000)}s: ${u.lastError}`);
    }
    const e = this.election();
    if (e)
      lines.push(`warning: leader election failing (the monitor does not run): ${e.reason}; fix: ${e.fix}`);
    return { ok, text: `${ok ? "ok" : "not ready"}${lines.length ? `\n${lines.join("\n")}` : ""}\n` };
  }

  /** `kubenap_informer_healthy{resource}`: 1 while the watch works (or fails for less than the bound). */
  register(registry: Registry): void {
    const unhealthy = (): Set<string> => new Set(this.unhealthy().map((u) => u.resource));
    const informers = this.informers;
    new Gauge({
      name: "kubenap_informer_healthy",
      help: "1 while the watch of this resource works, 0 once it has failed for longer than --unhealthy-after",
      labelNames: ["resource"],
      registers: [registry],
      collect() {
        const bad = unhealthy();
        for (const i of informers) this.set({ resource: i.resource }, bad.has(i.resource) ? 0 : 1);
      },
    });
  }
}
