// Acceptance 3 and 6 through the official Envoy binary running the istio plugin's Lua, in a bootstrap
// shaped like the Istio ingress gateway's (outbound|port||host clusters; ClusterIPs, so kube-proxy
// refuses the connection while the app is asleep, and Envoy answers 503).
import { readFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import {
  DEFAULT_PLUGIN_OPTIONS,
  defaultWakeService,
  pluginTarget,
  proxyPlugin,
} from "../../src/proxy-plugins/index.js";
import { istioCluster } from "../../src/proxy-plugins/istio.js";
import { clients, freshNamespace } from "../integration/helpers/kube.js";
import { clusterIp, createSleepingApp } from "./helpers/apps.js";
import { launchBrowser } from "./helpers/clients.js";
import { browserJourney, curlJourney, postJourney, type Entry } from "./helpers/journeys.js";
import { startKubenapInWorld } from "./helpers/kubenap.js";
import { ENVOY_PORT, startEnvoy, type EnvoyRoute } from "./helpers/proxies.js";

const APPS = [
  { app: "web", failFor: undefined },
  { app: "slow", failFor: "10s" },
] as const;

describe("Envoy 1.40 running the istio plugin's Lua", () => {
  let ns = "";
  const stops: (() => Promise<unknown>)[] = [];
  let browser: Browser | undefined;
  let envoyLog = "";
  const entry = (app: string): Entry => ({
    namespace: ns,
    app,
    host: `${app}.envoy.example`,
    port: ENVOY_PORT,
  });

  beforeAll(async () => {
    ns = await freshNamespace("e2e-envoy");
    const wake = defaultWakeService();
    const { apps, core } = clients();
    const routes: EnvoyRoute[] = [];
    for (const a of APPS) {
      const host = `${a.app}.envoy.example`;
      await createSleepingApp(ns, a.app, host, a.failFor ? { failFor: a.failFor } : {});
      const target = pluginTarget({
        deployment: await apps.readNamespacedDeployment({ namespace: ns, name: a.app }),
        services: (await core.listNamespacedService({ namespace: ns })).items,
        hosts: [host],
      });
      const lua = proxyPlugin("istio")
        .render(target, wake, DEFAULT_PLUGIN_OPTIONS)
        .find((f) => f.name.endsWith(".lua"));
      routes.push({
        hosts: [host],
        cluster: istioCluster(ns, a.app, 80),
        ip: await clusterIp(ns, a.app),
        port: 80,
        lua: lua?.content ?? "",
      });
    }
    const kubenap = await startKubenapInWorld([ns]);
    stops.push(() => kubenap.stop());
    const envoy = await startEnvoy(ns, routes, {
      cluster: istioCluster(wake.namespace, wake.name, wake.port),
      ip: await clusterIp(wake.namespace, wake.name),
      port: wake.port,
    });
    stops.push(() => envoy.stop());
    envoyLog = envoy.log;
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of stops.reverse()) await s();
  });

  for (const a of APPS) {
    const what = a.failFor ? "app answering 503 for its first 10 s" : "app";
    it(`${what}: curl -L to the asleep app ends on the app's 200 for the original URL`, async () => {
      await curlJourney(entry(a.app));
    });
    it(`${what}: a POST with a body reaches the app with its method and body`, async () => {
      await postJourney(entry(a.app));
    });
    it(`${what}: headless Chromium lands on the app by itself`, async () => {
      browser ??= await launchBrowser(APPS.map((x) => `${x.app}.envoy.example`));
      await browserJourney(entry(a.app), browser, `envoy-${a.app}`);
    });
  }

  it("the Lua ran without a script error in any of these journeys", () => {
    expect(
      readFileSync(envoyLog, "utf8")
        .split("\n")
        .filter((l) => l.includes("[lua]")),
    ).toEqual([]);
  });
});
