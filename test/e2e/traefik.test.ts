// Acceptance 2 and 6 through the official Traefik binary with its kubernetescrd, kubernetesingress and
// kubernetesgateway providers against the plane: the traefik plugin's Middleware attached to an
// Ingress, an IngressRoute and a Gateway API HTTPRoute (ExtensionRef), each applied as rendered.
import type { Browser } from "playwright-core";
import { freshNamespace } from "../integration/helpers/kube.js";
import { launchBrowser } from "./helpers/clients.js";
import { browserJourney, curlJourney, postJourney, type Entry } from "./helpers/journeys.js";
import { setUpTraefik, type Setup, type SetupApp } from "./helpers/setups.js";

const APPS: SetupApp[] = [
  { app: "ing", routing: "ingress.yaml" },
  { app: "route", routing: "ingressroute.yaml" },
  { app: "gw", routing: "httproute.yaml" },
  { app: "ing-slow", routing: "ingress.yaml", failFor: "10s" },
  { app: "route-slow", routing: "ingressroute.yaml", failFor: "10s" },
  { app: "gw-slow", routing: "httproute.yaml", failFor: "10s" },
];
/** Starts in 25 s, longer than KubeNap's hold limit (20 s): the forced 307 must send the client back. */
const LATE: SetupApp = { app: "late", routing: "httproute.yaml", startAfter: "25s" };

describe("Traefik 3.7 configured by the traefik plugin", () => {
  let ns = "";
  let setup: Setup | undefined;
  let browser: Browser | undefined;
  const entry = (app: string): Entry => ({
    namespace: ns,
    app,
    host: setup?.host(app) ?? "",
    port: setup?.port ?? 0,
  });

  beforeAll(async () => {
    ns = await freshNamespace("e2e-traefik");
    setup = await setUpTraefik(ns, [...APPS, LATE]);
  });

  afterAll(async () => {
    await browser?.close();
    await setup?.stop();
  });

  for (const a of APPS) {
    const what = `${(a.routing ?? "").replace(".yaml", "")}${a.failFor ? ", app answering 503 for its first 10 s" : ""}`;
    it(`${what}: curl -L to an asleep app ends on the app's 200 for the original URL`, async () => {
      await curlJourney(entry(a.app));
    });
    it(`${what}: a POST with a body reaches the app with its method and body`, async () => {
      await postJourney(entry(a.app));
    });
    it(`${what}: headless Chromium lands on the app by itself`, async () => {
      browser ??= await launchBrowser([...APPS, LATE].map((x) => setup?.host(x.app) ?? ""));
      await browserJourney(entry(a.app), browser, `traefik-${a.app}`);
    });
  }

  it("an app that starts slower than KubeNap's hold limit: curl -L and the browser are held again and land", async () => {
    await curlJourney(entry(LATE.app));
    browser ??= await launchBrowser([...APPS, LATE].map((x) => setup?.host(x.app) ?? ""));
    await browserJourney(entry(LATE.app), browser, "traefik-late");
  });
});
