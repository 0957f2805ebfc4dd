// Steady state through real ingresses: requests to an awake app through NGINX and through Traefik, with
// the KubeNap wiring (the plugin's output: NGINX error_page/@kubenap, Traefik's errors Middleware) vs
// the same ingress without it — both routes in the same proxy process, to the same app pod —
// interleaved in one run (batches ABBA). Prints p50/p99 and req/s for each and the ratio (with/without,
// p50). Goal: ratio ≤ 1.02 (KubeNap is not in the path). Needs root: it builds the e2e world.
//   npm run bench -- steady [nginx] [traefik] [--batches=20] [--batch=500] [--concurrency=8]
// Bounded: batches × batch requests per side, and 120 s per ingress.
import { join } from "node:path";
import { stringify } from "yaml";
import { NetworkingV1Api } from "@kubernetes/client-node";
import {
  DEFAULT_PLUGIN_OPTIONS,
  defaultWakeService,
  pluginTarget,
  proxyPlugin,
} from "../src/proxy-plugins/index.js";
import { clusterIp, createSleepingApp, kubectlApply, waitReadyPod } from "../test/e2e/helpers/apps.js";
import { startKubenapInWorld } from "../test/e2e/helpers/kubenap.js";
import { startNginx } from "../test/e2e/helpers/proxies.js";
import { setUpTraefik } from "../test/e2e/helpers/setups.js";
import { runInNetns, type NetnsProcess } from "../test/e2e/helpers/world.js";
import { startWorld } from "../test/e2e/world.js";
import { clients, deleteTestNamespaces, freshNamespace } from "../test/integration/helpers/kube.js";
import { until } from "./lib/sleep.js";
import { percentile, ratio, summaryLine } from "./lib/stats.js";

const args = process.argv.slice(2);
const num = (k: string, d: number): number =>
  Number(args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d);
const LOAD = {
  batches: num("batches", 20),
  batchSize: num("batch", 500),
  concurrency: num("concurrency", 8),
  deadlineMs: 120_000,
  path: "/steady",
};
const chosen = args.filter((a) => !a.startsWith("--"));
const names = chosen.length ? chosen : ["nginx", "traefik"];

interface Side {
  port: number;
  host: string;
}
interface Pair {
  with: Side;
  without: Side;
  stop(): Promise<void>;
}

/** The nginx plugin's server block for the app, and the same block with KubeNap's lines taken out. */
async function nginxPair(ns: string): Promise<Pair> {
  const WITH = 18080;
  const WITHOUT = 18083;
  const host = "web.nginx.example";
  await createSleepingApp(ns, "web", host, { ingress: "create", awake: true, idleAfter: "1h" });
  const kubenap = await startKubenapInWorld([ns]);
  const wake = { ...defaultWakeService(), url: `http://${await clusterIp("kubenap", "kubenap")}` };
  const { apps, core, kc } = clients();
  const target = pluginTarget({
    deployment: await apps.readNamespacedDeployment({ namespace: ns, name: "web" }),
    services: (await core.listNamespacedService({ namespace: ns })).items,
    ingresses: (await kc.makeApiClient(NetworkingV1Api).listNamespacedIngress({ namespace: ns })).items,
    upstream: `${await clusterIp(ns, "web")}:80`,
  });
  const conf = proxyPlugin("nginx")
    .render(target, wake, { ...DEFAULT_PLUGIN_OPTIONS, listenPort: WITH })
    .find((f) => f.name.endsWith(".conf"));
  if (!conf) throw new Error("the nginx plugin rendered no .conf");
  const bare = conf.content
    .replace(`listen ${WITH};`, `listen ${WITHOUT};`)
    .replace(/^\s*proxy_intercept_errors on;\n/m, "")
    .replace(/^\s*error_page .*\n/m, "")
    .replace(/\n\s*# A named location[\s\S]*?location @kubenap \{[\s\S]*?\n {2}\}\n/, "\n");
  if (bare.includes("kubenap {") || bare.includes("error_page")) throw new Error(`not stripped:\n${bare}`);
  const nginx = await startNginx(
    ns,
    [conf, { ...conf, name: "web-without-kubenap.conf", content: bare }],
    WITH,
  );
  return {
    with: { port: WITH, host },
    without: { port: WITHOUT, host },
    stop: stopAll([kubenap, nginx]),
  };
}

/** Traefik with the plugin's IngressRoute (errors Middleware) and the same route without it. */
async function traefikPair(ns: string): Promise<Pair> {
  const setup = await setUpTraefik(ns, [{ app: "web", routing: "ingressroute.yaml", awakeIdleAfter: "1h" }]);
  const plain = "web-plain.traefik.example";
  await kubectlApply(
    `${ns}-web-plain`,
    stringify({
      apiVersion: "traefik.io/v1alpha1",
      kind: "IngressRoute",
      metadata: { name: "web-plain", namespace: ns },
      spec: {
        entryPoints: ["web"],
        routes: [{ kind: "Rule", match: `Host(\`${plain}\`)`, services: [{ name: "web", port: 80 }] }],
      },
    }),
  );
  return {
    with: { port: setup.port, host: setup.host("web") },
    without: { port: setup.port, host: plain },
    stop: () => setup.stop(),
  };
}

const stopAll = (ps: NetnsProcess[]) => async (): Promise<void> => {
  for (const p of ps.reverse()) await p.stop();
};

const PAIRS: Record<string, (ns: string) => Promise<Pair>> = { nginx: nginxPair, traefik: traefikPair };
for (const n of names) if (!PAIRS[n]) throw new Error(`unknown ingress ${n}: available are nginx, traefik`);

const status = async (s: Side): Promise<string> =>
  runInNetns([
    ...["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2"],
    ...["--resolve", `${s.host}:${s.port}:127.0.0.1`, `http://${s.host}:${s.port}/ready`],
  ]).catch(() => "000");

const world = await startWorld();
Object.assign(process.env, world.env, { KUBENAP_TEST_KUBECONFIG: world.env.KUBENAP_E2E_KUBECONFIG });
const fields: Record<string, number | string> = { ...LOAD, deadlineMs: LOAD.deadlineMs };
let failed = false;
try {
  for (const name of names) {
    const ns = await freshNamespace(`bench-steady-${name}`);
    const pair = await PAIRS[name]!(ns);
    try {
      await waitReadyPod(ns, "web");
      for (const s of [pair.with, pair.without])
        await until(
          `${name} ${s.host}:${s.port} answers 200`,
          async () => (await status(s)) === "200",
          60_000,
        );
      const out = await runInNetns(
        [
          process.execPath,
          join(process.cwd(), "bench", "lib", "steady-load.js"),
          JSON.stringify({ ...LOAD, a: pair.with, b: pair.without }),
        ],
        LOAD.deadlineMs + 60_000,
      );
      type R = { lat: number[]; ms: number; statuses: Record<string, number> };
      const r = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { batches: number; a: R; b: R };
      const side = (x: R): { p50: number; p99: number; rps: number; non200: number } => ({
        p50: percentile(x.lat, 50),
        p99: percentile(x.lat, 99),
        rps: (x.lat.length * 1000) / x.ms,
        non200: Object.entries(x.statuses).reduce((n, [k, v]) => n + (k === "200" ? 0 : v), 0),
      });
      const w = side(r.a);
      const wo = side(r.b);
      console.log(
        `steady ${name}: ${r.batches} batches/side; with KubeNap p50 ${w.p50.toFixed(3)} ms p99 ${w.p99.toFixed(3)} ms ${w.rps.toFixed(0)} req/s; without p50 ${wo.p50.toFixed(3)} ms p99 ${wo.p99.toFixed(3)} ms ${wo.rps.toFixed(0)} req/s; non-200 ${w.non200}/${wo.non200}`,
      );
      if (w.non200 + wo.non200 > 0) failed = true;
      Object.assign(fields, {
        [`${name}_requests`]: r.a.lat.length,
        [`${name}_with_p50_ms`]: w.p50.toFixed(3),
        [`${name}_without_p50_ms`]: wo.p50.toFixed(3),
        [`${name}_with_p99_ms`]: w.p99.toFixed(3),
        [`${name}_without_p99_ms`]: wo.p99.toFixed(3),
        [`${name}_with_rps`]: Math.round(w.rps),
        [`${name}_without_rps`]: Math.round(wo.rps),
        [`${name}_ratio`]: ratio(w.p50, wo.p50),
        [`${name}_rps_ratio`]: ratio(w.rps, wo.rps),
        [`${name}_non200`]: w.non200 + wo.non200,
      });
    } finally {
      await pair.stop();
    }
  }
  // The headline ratio: the worse of the ingresses (with/without, p50).
  const ratios = names.map((n) => Number(fields[`${n}_ratio`]));
  console.log(summaryLine("steady", { ratio: Math.max(...ratios), goal_ratio: 1.02, ...fields }));
} finally {
  await deleteTestNamespaces();
  await world.stop();
}
process.exit(failed ? 1 : 0);
