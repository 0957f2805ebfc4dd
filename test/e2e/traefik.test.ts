// Acceptance 2 and 6 through the official Traefik binary with its kubernetescrd, kubernetesingress and
// kubernetesgateway providers against the plane: the traefik plugin's Middleware attached to an
// Ingress, an IngressRoute and a Gateway API HTTPRoute (ExtensionRef), each applied as rendered.
import { browserJourney, curlJourney, postJourney } from "./helpers/journeys.js";
import { setUpTraefik, type SetupApp } from "./helpers/setups.js";
import { ingressSuite } from "./helpers/suite.js";

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
  const suite = ingressSuite("e2e-traefik", (ns, apps) => setUpTraefik(ns, apps), [...APPS, LATE]);
  const entry = suite.entry;

  for (const a of APPS) {
    const what = `${(a.routing ?? "").replace(".yaml", "")}${a.failFor ? ", app answering 503 for its first 10 s" : ""}`;
    it(`${what}: curl -L to an asleep app ends on the app's 200 for the original URL`, async () => {
      await curlJourney(entry(a.app));
    });
    it(`${what}: a POST with a body reaches the app with its method and body`, async () => {
      await postJourney(entry(a.app));
    });
    it(`${what}: headless Chromium lands on the app by itself`, async () => {
      await browserJourney(entry(a.app), await suite.browser(), `traefik-${a.app}`);
    });
  }

  it("an app that starts slower than KubeNap's hold limit: curl -L and the browser are held again and land", async () => {
    await curlJourney(entry(LATE.app));
    await browserJourney(entry(LATE.app), await suite.browser(), "traefik-late");
  });
});
