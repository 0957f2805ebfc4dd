// Acceptance 2 and 6 through the official Traefik binary with its kubernetescrd, kubernetesingress and
// kubernetesgateway providers against the plane: the traefik plugin's Middleware attached to an
// Ingress, an IngressRoute and a Gateway API HTTPRoute (ExtensionRef), each applied as rendered.
import type { Browser } from "playwright-core";
import { stringify } from "yaml";
import {
  DEFAULT_PLUGIN_OPTIONS,
  defaultWakeService,
  pluginTarget,
  proxyPlugin,
  type PluginOptions,
} from "../../src/proxy-plugins/index.js";
import { clients, freshNamespace } from "../integration/helpers/kube.js";
import { createSleepingApp, kubectlApply } from "./helpers/apps.js";
import { launchBrowser } from "./helpers/clients.js";
import { browserJourney, curlJourney, postJourney, type Entry } from "./helpers/journeys.js";
import { startKubenapInWorld } from "./helpers/kubenap.js";
import { TRAEFIK_API, TRAEFIK_WEB, startTraefik } from "./helpers/proxies.js";
import { runInNetns } from "./helpers/world.js";

/** Which routing object each app gets, and whether it answers 503 for 10 s after start. */
const APPS = [
  { app: "ing", routing: "ingress.yaml", failFor: undefined },
  { app: "route", routing: "ingressroute.yaml", failFor: undefined },
  { app: "gw", routing: "httproute.yaml", failFor: undefined },
  { app: "ing-slow", routing: "ingress.yaml", failFor: "10s" },
  { app: "gw-slow", routing: "httproute.yaml", failFor: "10s" },
] as const;

describe("Traefik 3.7 configured by the traefik plugin", () => {
  let ns = "";
  const stops: (() => Promise<unknown>)[] = [];
  let browser: Browser | undefined;
  const entry = (app: string): Entry => ({
    namespace: ns,
    app,
    host: `${app}.traefik.example`,
    port: TRAEFIK_WEB,
  });

  beforeAll(async () => {
    ns = await freshNamespace("e2e-traefik");
    const options: PluginOptions = {
      ...DEFAULT_PLUGIN_OPTIONS,
      gateway: { namespace: ns, name: "traefik-gateway" },
    };
    // What a Traefik installation provides: its IngressClass, GatewayClass and a Gateway on its entry point.
    await kubectlApply(
      `${ns}-traefik-install`,
      [
        {
          apiVersion: "networking.k8s.io/v1",
          kind: "IngressClass",
          metadata: { name: "traefik" },
          spec: { controller: "traefik.io/ingress-controller" },
        },
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "GatewayClass",
          metadata: { name: "traefik" },
          spec: { controllerName: "traefik.io/gateway-controller" },
        },
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "Gateway",
          metadata: { name: "traefik-gateway", namespace: ns },
          spec: {
            gatewayClassName: "traefik",
            listeners: [{ name: "web", port: TRAEFIK_WEB, protocol: "HTTP" }],
          },
        },
      ]
        .map((o) => stringify(o))
        .join("---\n"),
    );
    const { apps, core } = clients();
    for (const a of APPS) {
      const host = `${a.app}.traefik.example`;
      const viaIngress = a.routing === "ingress.yaml";
      await createSleepingApp(ns, a.app, host, {
        ...(viaIngress && { ingress: "annotate" }),
        ...(a.failFor && { failFor: a.failFor }),
      });
      const target = pluginTarget({
        deployment: await apps.readNamespacedDeployment({ namespace: ns, name: a.app }),
        services: (await core.listNamespacedService({ namespace: ns })).items,
        hosts: [host],
      });
      const files = proxyPlugin("traefik").render(target, defaultWakeService(), options);
      const pick = (name: string): string => files.find((f) => f.name === name)?.content ?? "";
      await kubectlApply(`${ns}-${a.app}`, `${pick("middleware.yaml")}---\n${pick(a.routing)}`);
    }
    const kubenap = await startKubenapInWorld([ns]);
    stops.push(() => kubenap.stop());
    const traefik = await startTraefik(ns);
    stops.push(() => traefik.stop());
    await waitRouted(APPS.map((a) => `${a.app}.traefik.example`));
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of stops.reverse()) await s();
  });

  for (const a of APPS) {
    const what = `${a.routing.replace(".yaml", "")}${a.failFor ? ", app answering 503 for its first 10 s" : ""}`;
    it(`${what}: curl -L to an asleep app ends on the app's 200 for the original URL`, async () => {
      await curlJourney(entry(a.app));
    });
    it(`${what}: a POST with a body reaches the app with its method and body`, async () => {
      await postJourney(entry(a.app));
    });
    it(`${what}: headless Chromium lands on the app by itself`, async () => {
      browser ??= await launchBrowser(APPS.map((x) => `${x.app}.traefik.example`));
      await browserJourney(entry(a.app), browser, `traefik-${a.app}`);
    });
  }
});

/** Waits until Traefik has an enabled router for every host (without sending them traffic, which would wake). */
async function waitRouted(hosts: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = hosts;
  while (Date.now() < deadline) {
    const out = await runInNetns([
      "curl",
      "-sS",
      "--max-time",
      "2",
      `http://127.0.0.1:${TRAEFIK_API}/api/http/routers?per_page=1000`,
    ]).catch(() => "[]");
    let routers: { rule?: string; status?: string; middlewares?: string[] }[] = [];
    try {
      routers = JSON.parse(out) as typeof routers;
    } catch {
      // not serving yet
    }
    missing = hosts.filter(
      (h) =>
        !routers.some(
          (r) => r.status === "enabled" && (r.rule ?? "").includes(h) && (r.middlewares ?? []).length > 0,
        ),
    );
    if (missing.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `Traefik has no enabled router with the middleware for ${missing.join(", ")} after ${timeoutMs} ms`,
  );
}
