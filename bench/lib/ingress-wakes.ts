// Consecutive wakes through each real ingress (NGINX, Traefik, Envoy with the istio Lua), as a user sees
// them: the app is put to sleep, then `curl -L` (inside the e2e network namespace) asks for it; the time
// is curl's, from the request to the final 200. Shared by `npm run bench -- ingress` and `-- wake`.
// Needs root (it creates the e2e world). Bounded: N wakes per ingress, each with a 120 s limit.
import { deleteTestNamespaces, freshNamespace } from "../../test/integration/helpers/kube.js";
import { putToSleep } from "../../test/e2e/helpers/apps.js";
import { curlFollow } from "../../test/e2e/helpers/clients.js";
import { setUpEnvoy, setUpNginx, setUpTraefik, type Setup } from "../../test/e2e/helpers/setups.js";
import { startWorld } from "../../test/e2e/world.js";
import { percentile } from "./stats.js";

export const INGRESSES: Record<string, (ns: string) => Promise<Setup>> = {
  envoy: (ns) => setUpEnvoy(ns, [{ app: "web" }]),
  nginx: (ns) => setUpNginx(ns, [{ app: "web" }]),
  traefik: (ns) => setUpTraefik(ns, [{ app: "web", routing: "ingressroute.yaml" }]),
};

/** One ingress's wakes. */
export interface IngressWakes {
  ingress: string;
  wakes: number;
  final200: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  redirectsMax: number;
  bad: string[];
}

/** Starts the e2e world, wakes the app `wakes` times through each named ingress, stops the world. */
export async function ingressWakes(names: string[], wakes: number): Promise<IngressWakes[]> {
  for (const n of names) {
    if (!INGRESSES[n])
      throw new Error(`unknown ingress ${n}: available are ${Object.keys(INGRESSES).join(", ")}`);
  }
  const world = await startWorld();
  const saved = process.env.KUBENAP_TEST_KUBECONFIG;
  Object.assign(process.env, world.env, { KUBENAP_TEST_KUBECONFIG: world.env.KUBENAP_E2E_KUBECONFIG });
  const results: IngressWakes[] = [];
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
      const valid = ms.filter((x) => !Number.isNaN(x));
      results.push({
        ingress: name,
        wakes,
        final200: ok,
        p50Ms: percentile(valid, 50),
        p99Ms: percentile(valid, 99),
        maxMs: percentile(valid, 100),
        redirectsMax: maxRedirects,
        bad,
      });
    }
  } finally {
    await deleteTestNamespaces();
    await world.stop();
    if (saved === undefined) delete process.env.KUBENAP_TEST_KUBECONFIG;
    else process.env.KUBENAP_TEST_KUBECONFIG = saved;
  }
  return results;
}
