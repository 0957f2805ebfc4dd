// Consecutive wakes through each real ingress (NGINX, Traefik, Envoy with the istio Lua), as a user
// sees them: the app is put to sleep, then `curl -L` (inside the e2e network namespace) asks for it;
// the time is curl's, from the request to the final 200. Prints one line per ingress:
//   ingress-wakes: ingress=nginx wakes=30 final_200=30 p50_ms=… p99_ms=… max_ms=… redirects_max=…
// Needs root (it creates the e2e world: see test/README.md). Bounded: N wakes per ingress (default 30),
// each with a 120 s limit. Exits 1 if any wake did not end on the app's 200.
//   npm run bench -- ingress [nginx] [traefik] [envoy] [--wakes=30]
import { freshNamespace, deleteTestNamespaces } from "../test/integration/helpers/kube.js";
import { putToSleep } from "../test/e2e/helpers/apps.js";
import { curlFollow } from "../test/e2e/helpers/clients.js";
import { setUpEnvoy, setUpNginx, setUpTraefik, type Setup } from "../test/e2e/helpers/setups.js";
import { startWorld } from "../test/e2e/world.js";

const INGRESSES: Record<string, (ns: string) => Promise<Setup>> = {
  envoy: (ns) => setUpEnvoy(ns, [{ app: "web" }]),
  nginx: (ns) => setUpNginx(ns, [{ app: "web" }]),
  traefik: (ns) => setUpTraefik(ns, [{ app: "web", routing: "ingressroute.yaml" }]),
};
const args = process.argv.slice(2);
const wakes = Number(args.find((a) => a.startsWith("--wakes="))?.slice("--wakes=".length) ?? 30);
const chosen = args.filter((a) => !a.startsWith("--"));
const names = chosen.length ? chosen : ["nginx", "traefik", "envoy"];
for (const n of names) {
  if (!INGRESSES[n])
    throw new Error(`unknown ingress ${n}: available are ${Object.keys(INGRESSES).join(", ")}`);
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

const world = await startWorld();
Object.assign(process.env, world.env, { KUBENAP_TEST_KUBECONFIG: world.env.KUBENAP_E2E_KUBECONFIG });
let failed = false;
try {
  for (const name of names) {
    const ns = await freshNamespace(`bench-${name}`);
    const setup = await INGRESSES[name]!(ns);
    const ms: number[] = [];
    let ok = 0;
    let maxRedirects = 0;
    const bad: string[] = [];
    try {
      for (let i = 0; i < wakes; i++) {
        await putToSleep(ns, "web");
        const res = await curlFollow(setup.host("web"), setup.port, `/bench/${i}?n=${i}`).catch(
          (err: unknown) => ({ status: 0, redirects: 0, seconds: NaN, url: "", body: String(err) }),
        );
        if (res.status === 200 && res.body.includes(`"path":"/bench/${i}?n=${i}"`)) ok++;
        else bad.push(`${res.status} ${res.body.slice(0, 120)}`);
        ms.push(res.seconds * 1000);
        maxRedirects = Math.max(maxRedirects, res.redirects);
      }
    } finally {
      await setup.stop();
    }
    const sorted = ms.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    console.log(
      `ingress-wakes: ingress=${name} wakes=${wakes} final_200=${ok} p50_ms=${pct(sorted, 50).toFixed(0)} p99_ms=${pct(sorted, 99).toFixed(0)} max_ms=${(sorted.at(-1) ?? NaN).toFixed(0)} redirects_max=${maxRedirects}`,
    );
    for (const b of bad.slice(0, 5)) console.log(`  not the app's 200: ${b}`);
    if (ok !== wakes) failed = true;
  }
} finally {
  await deleteTestNamespaces();
  await world.stop();
}
process.exit(failed ? 1 : 0);
