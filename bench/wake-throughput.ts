// /wake requests per second on the 404 path (a Host no Ingress names) and on the 502 path (an awake,
// ready app whose error the ingress reported), with 10 and with 2,000 opted-in apps, in one run. The
// wake handler runs in-process on this thread (one core); the load comes from a worker thread over
// keep-alive connections, so the client does not share the server's core. Bounded: each case runs
// DURATION_MS after a warm-up. Prints `wake-throughput: key=value …` lines.
//
//   npm run bench -- wake-throughput        (or: node --import tsx bench/wake-throughput.ts [ms])
import { loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import type { V1Deployment, V1Ingress, V1Service } from "@kubernetes/client-node";
import { startHarness, type Harness } from "../test/unit/wake/harness.js";
import { dep, ing, rule, svc } from "../test/unit/wake/world.js";

interface Load {
  port: number;
  host: string;
  path: string;
  headers: Record<string, string>;
  durationMs: number;
  connections: number;
}

// The load generator, run in a worker thread (plain JavaScript: workers do not inherit tsx): keep
// `connections` requests in flight for durationMs over keep-alive sockets; report completions by status.
const LOAD_WORKER = `
const { Agent, request } = require("node:http");
const { parentPort, workerData: l } = require("node:worker_threads");
const agent = new Agent({ keepAlive: true, maxSockets: l.connections });
const counts = {};
const end = Date.now() + l.durationMs;
const one = () => new Promise((resolve) => {
  const req = request({ host: "127.0.0.1", port: l.port, path: l.path, agent, headers: { Host: l.host, ...l.headers } }, (res) => {
    res.resume();
    res.on("end", () => { counts[res.statusCode] = (counts[res.statusCode] || 0) + 1; resolve(); });
  });
  req.on("error", () => { counts[-1] = (counts[-1] || 0) + 1; resolve(); });
  req.end();
});
const lane = async () => { while (Date.now() < end) await one(); };
Promise.all(Array.from({ length: l.connections }, lane)).then(() => { agent.destroy(); parentPort.postMessage(counts); });
`;

{
  const DURATION_MS = Number(process.argv[2] ?? 3000);

  /** N opted-in apps, each with a Service and an Ingress host; plus as many unrelated Services. */
  function cluster(n: number): (V1Deployment | V1Service | V1Ingress)[] {
    const objs: (V1Deployment | V1Service | V1Ingress)[] = [];
    for (let i = 0; i < n; i++) {
      const ns = `team-${i % 20}`;
      objs.push(dep(ns, `app-${i}`, { replicas: 1 }));
      objs.push(svc(ns, `app-${i}`, `app-${i}`));
      objs.push(svc(ns, `app-${i}-metrics`, `app-${i}`));
      objs.push(svc(ns, `other-${i}`, `other-${i}`));
      objs.push(
        ing(ns, `app-${i}`, [
          rule(`app-${i}.example`, ["Prefix", "/", `app-${i}`], ["Prefix", "/api", `other-${i}`]),
        ]),
      );
    }
    return objs;
  }

  /** Completions by status, and the server thread's busy time (event-loop active ms) for them. */
  interface Outcome {
    counts: Record<number, number>;
    activeMs: number;
  }

  async function run(h: Harness, load: Omit<Load, "port" | "durationMs" | "connections">): Promise<Outcome> {
    const go = (durationMs: number): Promise<Record<number, number>> =>
      new Promise((resolve, reject) => {
        const w = new Worker(LOAD_WORKER, {
          eval: true,
          workerData: { ...load, port: h.port, durationMs, connections: 32 },
        });
        w.once("message", (m: Record<number, number>) => resolve(m));
        w.once("error", reject);
      });
    await go(Math.min(1000, DURATION_MS / 2)); // warm-up (JIT, sockets)
    const before = performance.eventLoopUtilization();
    const counts = await go(DURATION_MS);
    return { counts, activeMs: performance.eventLoopUtilization(before).active };
  }

  const results: Record<string, number> = {};
  for (const n of [10, 2000]) {
    const t0 = performance.now();
    const h = await startHarness(cluster(n), { limits: { loopGuardMs: 0 }, maxConnections: 10_000 });
    const buildMs = performance.now() - t0;
    // Every app is awake and ready: the 502 path.
    for (let i = 0; i < n; i++) h.ready(`team-${i % 20}`, `app-${i}`);
    const target = n - 1;
    const notFound = await run(h, {
      host: "nobody.example",
      path: "/wake",
      headers: { "X-Original-URI": "/x" },
    });
    const appError = await run(h, {
      host: `app-${target}.example`,
      path: "/wake",
      headers: { "X-Original-URI": "/orders?id=7", "X-Code": "503" },
    });
    await h.close();
    const rate = (o: Outcome, status: number): number =>
      Math.round(((o.counts[status] ?? 0) * 1000) / DURATION_MS);
    // Requests the server thread completes per second of its own busy time: the one-core capacity,
    // less sensitive than the wall-clock rate to other processes sharing the machine.
    const capacity = (o: Outcome, status: number): number =>
      Math.round(((o.counts[status] ?? 0) * 1000) / Math.max(o.activeMs, 1));
    const other = (o: Outcome, status: number): number =>
      Object.entries(o.counts).reduce((s, [k, v]) => s + (Number(k) === status ? 0 : v), 0);
    results[`rps404_${n}`] = capacity(notFound, 404);
    results[`rps502_${n}`] = capacity(appError, 502);
    console.log(
      `wake-throughput: apps=${n} index_build_ms=${Math.round(buildMs)} rps_404=${rate(notFound, 404)} rps_502=${rate(appError, 502)} busy_rps_404=${capacity(notFound, 404)} busy_rps_502=${capacity(appError, 502)} unexpected_404=${other(notFound, 404)} unexpected_502=${other(appError, 502)} duration_ms=${DURATION_MS} loadavg=${loadavg()[0]?.toFixed(1)}`,
    );
  }
  const ratio = (a: number | undefined, b: number | undefined): string => ((a ?? 0) / (b || 1)).toFixed(2);
  console.log(
    `wake-throughput: busy_ratio_404_2000_vs_10=${ratio(results.rps404_2000, results.rps404_10)} busy_ratio_502_2000_vs_10=${ratio(results.rps502_2000, results.rps502_10)} goal_rps=10000 goal_ratio=0.80`,
  );
}
