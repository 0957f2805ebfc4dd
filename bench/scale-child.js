// Child of bench/scale.ts: KubeNap from the compiled dist/ (as the container runs it) against the given
// kubeconfig, all namespaces, the real Prometheus source at the given URL. Waits for the informers'
// first list (sync_ms), then times SWEEPS monitor sweeps, counting the queries Prometheus itself says
// it answered during each (its prometheus_http_requests_total for /api/v1/query*). Prints one JSON line.
import { createServer } from "node:net";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../dist/config/config.js";
import { createLogger } from "../dist/log.js";
import { loadKubeConfig, startRuntime } from "../dist/main.js";
import { peakRssMb } from "./lib/peak-rss.js";

const [kubeconfig = "", promUrl = "", sweepsArg = "5"] = process.argv.slice(2);
const SWEEPS = Number(sweepsArg);
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});

/** Queries Prometheus has answered so far, by handler (from its own metrics). */
/* global fetch */
async function promQueries() {
  const text = await (await fetch(`${promUrl}/metrics`)).text();
  let ms = 0;
  for (const m of text.matchAll(
    /^prometheus_http_request_duration_seconds_sum\{[^}]*handler="\/api\/v1\/query(?:_range)?"[^}]*\} ([0-9.e+-]+)/gm,
  ))
    ms += Number(m[1]) * 1000;
  let n = 0;
  for (const m of text.matchAll(
    /^prometheus_http_requests_total\{[^}]*handler="\/api\/v1\/query(?:_range)?"[^}]*\} (\d+)/gm,
  ))
    n += Number(m[1]);
  return { n, ms };
}

const cfg = loadConfig({
  argv: [
    ...["--kubeconfig", kubeconfig, "--leader-election", "false", "--sweep-interval", "1h"],
    ...[
      "--metrics-source",
      "prometheus",
      "--prometheus-url",
      promUrl,
      "--prometheus-preset",
      "ingress-nginx",
    ],
    ...["--wake-port", String(port), "--wake-address", "127.0.0.1", "--log-level", "error"],
  ],
  env: {},
  hostname: hostname(),
  pid: process.pid,
});
const t0 = performance.now();
const runtime = await startRuntime(
  cfg,
  loadKubeConfig(kubeconfig),
  createLogger({ format: "json", level: "error" }),
);
const syncMs = performance.now() - t0;
// The monitor's first sweep starts with it; let it finish, then time our own.
const first = await runtime.monitor.sweep();
const sweeps = [];
for (let i = 0; i < SWEEPS; i++) {
  const q0 = await promQueries();
  const t = performance.now();
  const r = await runtime.monitor.sweep();
  const ms = performance.now() - t;
  const q1 = await promQueries();
  // Our own two /metrics reads are not counted (another handler); everything on /api/v1/query* is KubeNap's.
  sweeps.push({
    ms,
    queries: q1.n - q0.n,
    promMs: q1.ms - q0.ms,
    considered: r.considered,
    slept: r.slept.length,
    unknown: r.unknown.length,
  });
}
globalThis.gc?.();
const mem = process.memoryUsage();
const peakMb = peakRssMb();
await runtime.stop();
console.log(
  JSON.stringify({
    syncMs,
    firstConsidered: first.considered,
    sweeps,
    rssMb: mem.rss / 1048576,
    peakRssMb: peakMb,
    heapUsedMb: mem.heapUsed / 1048576,
  }),
);
process.exit(0);
