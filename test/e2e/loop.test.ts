// Acceptance 5, the whole loop with no shortcut: KubeNap as users run it (`kubenap run`) with a real
// traffic source decides by itself. An awake app with idleAfter 20s and no traffic is put to sleep; a
// browser request through the ingress wakes it and lands; steady traffic keeps it awake; when the
// traffic stops it sleeps again. Through Traefik with the Prometheus source (traefik preset, Prometheus
// scraping Traefik's metrics), and through NGINX with the access-log source.
import type { Browser } from "playwright-core";
import { freshNamespace, waitForDeployment, clients } from "../integration/helpers/kube.js";
import { curlFollow, launchBrowser } from "./helpers/clients.js";
import { startKubenapCli } from "./helpers/kubenap.js";
import { PROMETHEUS_PORT, TRAEFIK_API, nginxAccessLog, startPrometheus } from "./helpers/proxies.js";
import { setUpNginx, setUpTraefik, type Setup } from "./helpers/setups.js";
import { artifacts, type NetnsProcess } from "./helpers/world.js";
import { join } from "node:path";

const IDLE = "20s";
/** Sleep takes idleAfter plus the source's proof window and a sweep; bounded well above that. */
const SLEEP_BOUND_MS = 120_000;

async function replicas(ns: string, app: string): Promise<number> {
  const d = await clients().apps.readNamespacedDeployment({ namespace: ns, name: app });
  return d.spec?.replicas ?? 0;
}

/** The loop itself, for one ingress. */
async function loop(ns: string, setup: Setup, browser: Browser, label: string): Promise<void> {
  const host = setup.host("loop");
  // 1. No traffic: KubeNap puts it to sleep by itself.
  await waitForDeployment(ns, "loop", (d) => d.spec?.replicas === 0, SLEEP_BOUND_MS);

  // 2. A browser request through the ingress wakes it and lands on it.
  const page = await browser.newPage();
  try {
    const url = `http://${host}:${setup.port}/loop?step=wake`;
    await page.goto(url, { timeout: 120_000 });
    await page.waitForSelector("#app", { timeout: 120_000 });
    expect(page.url()).toBe(url);
    await page.screenshot({ path: join(artifacts("screenshots"), `loop-${label}.png`) });
  } finally {
    await page.close();
  }

  // 3. Steady traffic (a request every 2 s for 45 s, longer than idleAfter): it stays awake.
  const until = Date.now() + 45_000;
  while (Date.now() < until) {
    const res = await curlFollow(host, setup.port, `/loop?step=steady`, { maxTime: 30 });
    expect(res.status).toBe(200);
    expect(await replicas(ns, "loop")).toBe(1);
    await new Promise((r) => setTimeout(r, 2_000));
  }

  // 4. Traffic stops: it sleeps again.
  await waitForDeployment(ns, "loop", (d) => d.spec?.replicas === 0, SLEEP_BOUND_MS);
}

describe("the whole loop through real ingresses and real traffic sources", () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser(["loop.traefik.example", "loop.nginx.example"]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("Traefik + Prometheus (traefik preset): sleeps when idle, wakes on a browser request, stays awake under traffic, sleeps again", async () => {
    const ns = await freshNamespace("e2e-loop-traefik");
    let prometheus: NetnsProcess | undefined;
    const setup = await setUpTraefik(
      ns,
      [{ app: "loop", routing: "ingressroute.yaml", awakeIdleAfter: IDLE }],
      async (n) => {
        prometheus = await startPrometheus(n, { traefik: `127.0.0.1:${TRAEFIK_API}` });
        return startKubenapCli(
          [n],
          [
            "--metrics-source",
            "prometheus",
            "--prometheus-url",
            `http://127.0.0.1:${PROMETHEUS_PORT}`,
            "--prometheus-preset",
            "traefik",
            "--prometheus-scrape-interval",
            "1s",
          ],
        );
      },
    );
    try {
      await loop(ns, setup, browser!, "traefik-prometheus");
    } finally {
      await setup.stop();
      await prometheus?.stop();
    }
  });

  it("NGINX + access-log source: sleeps when idle, wakes on a browser request, stays awake under traffic, sleeps again", async () => {
    const ns = await freshNamespace("e2e-loop-nginx");
    const setup = await setUpNginx(ns, [{ app: "loop", awakeIdleAfter: IDLE }], (n) =>
      startKubenapCli(
        [n],
        ["--metrics-source", "logs", "--logs-files", nginxAccessLog(n), "--logs-format", "nginx-combined"],
      ),
    );
    try {
      await loop(ns, setup, browser!, "nginx-logs");
    } finally {
      await setup.stop();
    }
  });
});
