// Acceptance 1 and 6 through Debian's NGINX, configured only from the nginx plugin's output: upstream
// = the app's ClusterIP (kube-proxy), error_page → KubeNap's wake handler (the kubenap Service's IP).
import { NetworkingV1Api } from "@kubernetes/client-node";
import type { Browser } from "playwright-core";
import {
  DEFAULT_PLUGIN_OPTIONS,
  defaultWakeService,
  pluginTarget,
  proxyPlugin,
} from "../../src/proxy-plugins/index.js";
import { clients, freshNamespace } from "../integration/helpers/kube.js";
import { clusterIp, createSleepingApp } from "./helpers/apps.js";
import { launchBrowser } from "./helpers/clients.js";
import { browserJourney, curlJourney, postJourney, type Entry } from "./helpers/journeys.js";
import { startKubenapInWorld } from "./helpers/kubenap.js";
import { startNginx } from "./helpers/proxies.js";
import type { NetnsProcess } from "./helpers/world.js";

const PORT = 18080;

describe("NGINX (Debian) configured by the nginx plugin", () => {
  let ns = "";
  const stops: (() => Promise<unknown>)[] = [];
  let browser: Browser | undefined;
  const entry = (app: string): Entry => ({ namespace: ns, app, host: `${app}.nginx.example`, port: PORT });

  beforeAll(async () => {
    ns = await freshNamespace("e2e-nginx");
    await createSleepingApp(ns, "web", "web.nginx.example", { ingress: "create" });
    await createSleepingApp(ns, "slow", "slow.nginx.example", { ingress: "create", failFor: "10s" });
    const kubenap: NetnsProcess = await startKubenapInWorld([ns]);
    stops.push(() => kubenap.stop());
    const wake = { ...defaultWakeService(), url: `http://${await clusterIp("kubenap", "kubenap")}` };
    const { apps, core, kc } = clients();
    const services = (await core.listNamespacedService({ namespace: ns })).items;
    const ingresses = (await kc.makeApiClient(NetworkingV1Api).listNamespacedIngress({ namespace: ns }))
      .items;
    const files = [];
    for (const app of ["web", "slow"]) {
      const deployment = await apps.readNamespacedDeployment({ namespace: ns, name: app });
      const target = pluginTarget({
        deployment,
        services,
        ingresses,
        upstream: `${await clusterIp(ns, app)}:80`,
      });
      files.push(
        ...proxyPlugin("nginx").render(target, wake, { ...DEFAULT_PLUGIN_OPTIONS, listenPort: PORT }),
      );
    }
    const nginx = await startNginx(ns, files, PORT);
    stops.push(() => nginx.stop());
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of stops.reverse()) await s();
  });

  it("curl -L to an asleep app ends on the app's 200 for the original URL", async () => {
    await curlJourney(entry("web"));
  });

  it("a POST with a body to an asleep app reaches the app with its method and body", async () => {
    await postJourney(entry("web"));
  });

  it("headless Chromium opening an asleep app lands on the app by itself", async () => {
    browser = await launchBrowser(["web.nginx.example", "slow.nginx.example"]);
    await browserJourney(entry("web"), browser, "nginx-web");
  });

  it("an app answering 503 for its first 10 s after Ready: curl -L, POST and the browser still end on it", async () => {
    await curlJourney(entry("slow"));
    await postJourney(entry("slow"));
    browser ??= await launchBrowser(["web.nginx.example", "slow.nginx.example"]);
    await browserJourney(entry("slow"), browser, "nginx-slow");
  });
});
