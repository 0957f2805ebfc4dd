// Child of bench/wake-memory.ts: starts KubeNap from the compiled dist/ (as the container runs it: no
// TypeScript loader in the process) against the given kubeconfig, all namespaces, wake handler on;
// waits for the informers' first list, runs a full GC and prints its memory as one JSON line.
import { createServer } from "node:net";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../dist/config/config.js";
import { createLogger } from "../dist/log.js";
import { loadKubeConfig, startRuntime } from "../dist/main.js";
import { peakRssMb } from "./lib/peak-rss.js";

const kubeconfig = process.argv[2] ?? "";
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const cfg = loadConfig({
  argv: [
    "--kubeconfig",
    kubeconfig,
    "--leader-election",
    "false",
    "--sweep-interval",
    "1h",
    "--wake-port",
    String(port),
    "--wake-address",
    "127.0.0.1",
    "--log-level",
    "error",
  ],
  env: {},
  hostname: hostname(),
  pid: process.pid,
});
const t0 = Date.now();
const runtime = await startRuntime(
  cfg,
  loadKubeConfig(kubeconfig),
  createLogger({ format: "json", level: "error" }),
);
const syncMs = Date.now() - t0;
for (let i = 0; i < 3; i++) globalThis.gc?.();
await sleep(500);
globalThis.gc?.();
const mem = process.memoryUsage();
const peakMb = peakRssMb();
await runtime.stop();
console.log(
  JSON.stringify({
    rssMb: Math.round(mem.rss / 1048576),
    peakRssMb: Math.round(peakMb),
    heapUsedMb: Math.round(mem.heapUsed / 1048576),
    syncMs,
  }),
);
process.exit(0);
