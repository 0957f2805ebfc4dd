import { execFile } from "node:child_process";
import { promisify } from "node:util";
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

  it("ends on the app's 200, with no redirect error, when the app answers 503 for 10 s after Ready; curl -L stops within 10 redirects", async () => {
    const ns = await freshNamespace("warmup");
    // Two sleeping apps, each behind its own stand-in ingress and each answering 503 for 10 s after Ready.
    const wakeRt = await startKubenap(ns, new ManualSource(), [
      "--hold-limit",
      "15s",
      "--settle-delay",
      "200ms",
    ]);
    closers.push(() => wakeRt.stop());
    const ingressFor = async (name: string, host: string): Promise<number> => {
      await createApp(ns, name, {
        replicas: 0,
        labels: { "kubenap/enabled": "true" },
        annotations: { "kubenap/ingress": name, "kubenap/replicaCount": "1" },
        podAnnotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "1s" },
      });
      await createIngress(ns, name, host, name);
      const app = await startApp({ warmUpMs: 10_000 });
      const ingress = await startIngress({
        namespace: ns,
        service: name,
        ingress: name,
        appPort: app.port,
        wakePort: wakeRt.wakePort ?? 0,
        interceptAppErrors: true,
      });
      closers.push(
        () => app.close(),
        () => ingress.close(),
      );
      return ingress.port;
    };
    const host = "warm.example";
    const port = await ingressFor("web", host);
    const curlPort = await ingressFor("api", "curl.example");
    const own = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--host-resolver-rules=MAP ${host} 127.0.0.1`,
      ],
    });
    closers.push(() => own.close());
    const page = await own.newPage();
    const target = `http://${host}:${port}/warm?x=1`;
    const failures: string[] = [];
    page.on("requestfailed", (r) => failures.push(`${r.url()} ${r.failure()?.errorText ?? ""}`));
    // Either the redirects (backed off) outlast the warm-up, or the waiting page takes over; both end on the app.
    await page.goto(target, { timeout: 60_000 }).catch((e: unknown) => failures.push(String(e)));
    await page.waitForSelector("#app", { timeout: 60_000 }).catch(async (e: unknown) => {
      const text =
        (await page
          .locator("body")
          .textContent()
          .catch(() => "")) ?? "";
      throw new Error(
        `${String(e)}\nat ${page.url()}: ${text.slice(0, 400)}\nfailures: ${failures.join("; ")}`,
      );
    });
    expect(page.url()).toBe(target);
    expect(failures.filter((f) => /TOO_MANY_REDIRECTS/.test(f))).toEqual([]);
    await page.close();

    // curl without a cookie jar: KubeNap counts it by address and User-Agent.
    const { stdout: out } = await promisify(execFile)(
      "curl",
      [
        "-s",
        "-L",
        "-o",
        "/dev/null",
        "-w",
        "%{num_redirects} %{http_code}",
        "--max-redirs",
        "50",
        "--max-time",
        "60",
        "--resolve",
        `curl.example:${curlPort}:127.0.0.1`,
        `http://curl.example:${curlPort}/curl`,
      ],
      { encoding: "utf8" },
    );
    const [redirects = "", code = ""] = out.split(" ");
    expect(Number(redirects)).toBeLessThanOrEqual(10);
    expect(["200", "503"]).toContain(code);
  });
});
