// Acceptance 1 and 6 through Debian's NGINX, configured only from the nginx plugin's output: upstream
// = the app's ClusterIP (kube-proxy), error_page → KubeNap's wake handler (the kubenap Service's IP).
import { browserJourney, curlJourney, postJourney } from "./helpers/journeys.js";
import { setUpNginx } from "./helpers/setups.js";
import { ingressSuite } from "./helpers/suite.js";

const APPS = [{ app: "web" }, { app: "slow", failFor: "10s" }];

describe("NGINX (Debian) configured by the nginx plugin", () => {
  const suite = ingressSuite("e2e-nginx", (ns, apps) => setUpNginx(ns, apps), APPS);
  const entry = suite.entry;

  it("curl -L to an asleep app ends on the app's 200 for the original URL", async () => {
    await curlJourney(entry("web"));
  });

  it("a POST with a body to an asleep app reaches the app with its method and body", async () => {
    await postJourney(entry("web"));
  });

  it("headless Chromium opening an asleep app lands on the app by itself", async () => {
    await browserJourney(entry("web"), await suite.browser(), "nginx-web");
  });

  it("an app answering 503 for its first 10 s after Ready: curl -L, POST and the browser still end on it", async () => {
    await curlJourney(entry("slow"));
    await postJourney(entry("slow"));
    await browserJourney(entry("slow"), await suite.browser(), "nginx-slow");
  });
});
