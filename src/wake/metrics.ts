import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Wake handler metrics in their own registry (no global state). */
export class WakeMetrics {
  readonly registry = new Registry();
  private readonly wakes = new Counter({
    name: "kubenap_wakes_total",
    help: "Wakes by result (ready, timeout, error).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  private readonly timeToReady = new Histogram({
    name: "kubenap_wake_time_to_ready_seconds",
    help: "Time from the first request to the app's first ready endpoint.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly held = new Gauge({
    name: "kubenap_requests_held",
    help: "Requests currently held waiting for an app to become ready.",
    registers: [this.registry],
  });
  private readonly responses = new Counter({
    name: "kubenap_wake_responses_total",
    help: "Wake handler responses by HTTP status.",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });

  constructor(withProcessMetrics = false) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }

  observeWake(result: "ready" | "timeout" | "error", seconds?: number): void {
    this.wakes.inc({ result });
    if (seconds !== undefined) this.timeToReady.observe(seconds);
  }

  holding(delta: 1 | -1): void {
    this.held.inc(delta);
  }

  response(status: number): void {
    this.responses.inc({ status: String(status) });
  }
}
