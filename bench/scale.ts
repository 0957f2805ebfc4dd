// KubeNap at scale on the real plane: APPS opted-in, awake Deployments (kwok pods; idleAfter 1h so none
// sleeps) with a Service and an Ingress each, plus UNRELATED Services and their EndpointSlices. KubeNap
// runs in a child process (bench/scale-child.js, the compiled code, the container image's Node.js flags)
// watching all namespaces with the real Prometheus source (preset ingress-nginx) against Debian's
// Prometheus, started here on 127.0.0.1 and scraping, every second, a stand-in exporter served by this
// process: nginx_ingress_controller_requests for every app, rising at each scrape, so every app reads as
// busy (a real cluster at work; with no series at all every app would be "unknown", and each sweep would
// mostly post 2,000 Warning Events). Prints sweep time, Prometheus queries per sweep (counted by
// Prometheus itself), RSS (after a full GC, and peak) and start-up sync time. Goals: sweep < 2 s,
// 1 query per query shape, < 250 MB.
//   npm run bench -- scale [apps] [unrelated] [sweeps]
// Bounded: creation and waits have deadlines; the child has a 10 min limit.
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../test/cluster/ports.js";
import { clients } from "../test/integration/helpers/kube.js";
import { createPopulation } from "./lib/population.js";
import { containerNodeFlags, withPlane } from "./lib/plane.js";
import { until } from "./lib/sleep.js";
import { max, median, summaryLine } from "./lib/stats.js";

const APPS = Number(process.argv[2] ?? 2000);
const UNRELATED = Number(process.argv[3] ?? 10_000);
const SWEEPS = Number(process.argv[4] ?? 5);

interface Sweep {
  ms: number;
  queries: number;
  promMs: number;
  considered: number;
  slept: number;
  unknown: number;
}

await withPlane(async (kubeconfig) => {
  const dir = mkdtempSync(join(tmpdir(), "kubenap-bench-scale-"));
  const promPort = await freePort();
  // The stand-in exporter: one counter per app (filled in once the apps exist), +1 per scrape.
  let series: string[] = [];
  let scrapes = 0;
  const exporter = createServer((_req, res) => {
    scrapes++;
    res.setHeader("Content-Type", "text/plain; version=0.0.4");
    res.end(
      `# TYPE nginx_ingress_controller_requests counter\n${series.map((s) => `${s} ${scrapes}`).join("\n")}\n`,
    );
  });
  const exporterPort = await freePort();
  await new Promise<void>((r) => exporter.listen(exporterPort, "127.0.0.1", r));
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global: {scrape_interval: 1s}\nscrape_configs: [{job_name: ingress-nginx, static_configs: [{targets: ["127.0.0.1:${exporterPort}"]}]}]\n`,
  );
  const prom = spawn(
    "setpriv",
    [
      ...["--pdeathsig", "KILL", "--", "prometheus", `--config.file=${join(dir, "prometheus.yml")}`],
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      "--log.level=warn",
    ],
    { stdio: "ignore" },
  );
  const promUrl = `http://127.0.0.1:${promPort}`;
  try {
    await until("Prometheus ready", async () => (await fetch(`${promUrl}/-/ready`)).ok, 60_000);
    const pop = await createPopulation({
      apps: APPS,
      unrelated: UNRELATED,
      replicas: 1,
      annotations: { "kubenap/idleAfter": "1h" },
      prefix: "scale",
    });
    // Every app's pod scheduled and ready (kwok), so the cluster is at rest before KubeNap starts.
    const { core } = clients();
    await until(
      `${APPS} pods running`,
      async () => {
        let running = 0;
        let cont: string | undefined;
        do {
          const page = await core.listPodForAllNamespaces({ limit: 5000, _continue: cont });
          running += page.items.filter((p) => p.status?.phase === "Running").length;
          cont = page.metadata?._continue;
        } while (cont);
        return running >= APPS;
      },
      10 * 60_000,
    );
    series = Array.from(
      { length: APPS },
      (_, i) =>
        `nginx_ingress_controller_requests{namespace="${pop.appNamespaces[i % pop.appNamespaces.length]}",service="app-${i}",status="200"}`,
    );
    // Every app's counter has risen in Prometheus (two scrapes at least) before KubeNap asks.
    await until(
      "Prometheus sees every app's counter rise",
      async () => {
        const q = encodeURIComponent("count(increase(nginx_ingress_controller_requests[1m]) > 0)");
        const body = (await (await fetch(`${promUrl}/api/v1/query?query=${q}`)).json()) as {
          data?: { result?: { value?: [number, string] }[] };
        };
        return Number(body.data?.result?.[0]?.value?.[1] ?? 0) >= APPS;
      },
      120_000,
    );
    await promisify(execFile)(
      process.execPath,
      ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"],
      {
        timeout: 5 * 60_000,
      },
    );
    const nodeFlags = containerNodeFlags();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...nodeFlags, "--expose-gc", "bench/scale-child.js", kubeconfig, promUrl, String(SWEEPS)],
      { encoding: "utf8", timeout: 10 * 60_000, maxBuffer: 1 << 20 },
    );
    const m = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as {
      syncMs: number;
      sweeps: Sweep[];
      rssMb: number;
      peakRssMb: number;
      heapUsedMb: number;
    };
    for (const s of m.sweeps) console.log(`sweep: ${JSON.stringify(s)}`);
    const ms = m.sweeps.map((s) => s.ms);
    console.log(
      summaryLine("scale", {
        apps: APPS,
        unrelated_services: UNRELATED,
        endpointslices: pop.endpointSlices,
        create_s: pop.createdS,
        sweeps: m.sweeps.length,
        sweep_ms: median(ms),
        prometheus_ms_per_sweep: median(m.sweeps.map((s) => s.promMs)),
        sweep_max_ms: max(ms),
        queries_per_sweep: median(m.sweeps.map((s) => s.queries)),
        considered: m.sweeps[0]?.considered ?? 0,
        slept: m.sweeps.reduce((n, s) => n + s.slept, 0),
        rss_mb: m.rssMb,
        peak_rss_mb: m.peakRssMb,
        heap_used_mb: m.heapUsedMb,
        sync_ms: m.syncMs,
        goal_sweep_ms: 2000,
        goal_rss_mb: 250,
        node_flags: nodeFlags.join(",") || "none",
      }),
    );
  } finally {
    prom.kill("SIGTERM");
    exporter.close();
  }
});
