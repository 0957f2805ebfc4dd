// Acceptance 1 and 6 through Debian's NGINX, configured only from the nginx plugin's output: upstream
// = the app's ClusterIP (kube-proxy), error_page → KubeNap's wake handler (the kubenap Service's IP).
import type { Browser } from "playwright-core";
import { freshNamespace } from "../integration/helpers/kube.js";
import { launchBrowser } from "./helpers/clients.js";
import { browserJourney, curlJourney, postJourney, type Entry } from "./helpers/journeys.js";
import { setUpNginx, type Setup } from "./helpers/setups.js";

const APPS = [{ app: "web" }, { app: "slow", failFor: "10s" }];

describe("NGINX (Debian) configured by the nginx plugin", () => {
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
    ns = await freshNamespace("e2e-nginx");
    setup = await setUpNginx(ns, APPS);
  });

  afterAll(async () => {
    await browser?.close();
    await setup?.stop();
  });

  it("curl -L to an asleep app ends on the app's 200 for the original URL", async () => {
    await curlJourney(entry("web"));
  });

  it("a POST with a body to an asleep app reaches the app with its method and body", async () => {
    await postJourney(entry("web"));
  });

  it("headless Chromium opening an asleep app lands on the app by itself", async () => {
    browser = await launchBrowser(APPS.map((a) => setup?.host(a.app) ?? ""));
    await browserJourney(entry("web"), browser, "nginx-web");
  });

  it("an app answering 503 for its first 10 s after Ready: curl -L, POST and the browser still end on it", async () => {
    await curlJourney(entry("slow"));
    await postJourney(entry("slow"));
    browser ??= await launchBrowser(APPS.map((a) => setup?.host(a.app) ?? ""));
    await browserJourney(entry("slow"), browser, "nginx-slow");
  });
});
