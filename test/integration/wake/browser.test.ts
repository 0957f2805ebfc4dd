import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import type { Runtime } from "../../../src/main.js";
import { createApp, createIngress, freshNamespace } from "../helpers/kube.js";
import { startApp, startIngress } from "../helpers/ingress.js";
import { startKubenap } from "../helpers/runtime.js";
import { ManualSource } from "../helpers/sources.js";

const ARTIFACTS = join(process.cwd(), "test-artifacts");
const HOST = "app.example";

describe("a browser waking a slow app", () => {
  let kubenap: Runtime | undefined;
  let browser: Browser | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await browser?.close();
    for (const c of closers) await c();
    await kubenap?.stop();
  });

  it("gets the waiting page, which reaches the app's URL by itself once the app is ready (30 s)", async () => {
    const ns = await freshNamespace("browser");
    await createApp(ns, "web", {
      replicas: 0,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/ingress": "web", "kubenap/replicaCount": "1" },
      podAnnotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "30s" },
    });
    await createIngress(ns, "web", HOST, "web");
    kubenap = await startKubenap(ns, new ManualSource(), ["--hold-limit", "3s", "--settle-delay", "200ms"]);
    const app = await startApp();
    const ingress = await startIngress({
      namespace: ns,
      service: "web",
      ingress: "web",
      appPort: app.port,
      wakePort: kubenap.wakePort ?? 0,
    });
    closers.push(
      () => app.close(),
      () => ingress.close(),
    );

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
      ],
    });
    const page = await browser.newPage();
    const target = `http://${HOST}:${ingress.port}/dashboard?tab=2`;
    const started = Date.now();
    const first = await page.goto(target);
    expect(first?.status()).toBe(503);
    await expect(page.locator("h1").textContent()).resolves.toContain("Waking up web");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "waiting-page.png") });

    await page.waitForSelector("#app", { timeout: 60_000 });
    expect(page.url()).toBe(target);
    expect(await page.locator("#app").textContent()).toBe("hello from the app");
    expect(Date.now() - started).toBeGreaterThanOrEqual(30_000);
    await page.screenshot({ path: join(ARTIFACTS, "after-wake.png") });
  });
});
