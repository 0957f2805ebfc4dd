// An API server that accepts connections and never answers: every wait of KubeNap's is bounded.
import { KubeConfig } from "@kubernetes/client-node";
import { hostname } from "node:os";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { startRuntime, type Runtime } from "../../../src/main.js";
import { freePort } from "../../cluster/ports.js";
import { ApiProxy } from "../helpers/api-proxy.js";
import { createApp, freshNamespace, httpGet, testKubeConfig } from "../helpers/kube.js";
import { ReplicaRecorder } from "../helpers/replica-changes.js";
import { ManualSource } from "../helpers/sources.js";

describe("KubeNap in front of a hung API server", () => {
  let proxy: ApiProxy;
  let kubenap: Runtime | undefined;

  beforeEach(async () => {
    const server = testKubeConfig().getCurrentCluster()?.server ?? "";
    proxy = await ApiProxy.start(new URL(server));
  });
  afterEach(async () => {
    proxy.restore();
    await kubenap?.stop();
    kubenap = undefined;
    await proxy.close();
  });

  async function start(ns: string): Promise<number> {
    const kc = new KubeConfig();
    kc.loadFromFile(process.env.KUBENAP_TEST_KUBECONFIG ?? "");
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("no cluster");
    kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server: proxy.url() } : c));
    const port = await freePort();
    const cfg = loadConfig({
      argv: [
        "--namespaces",
        ns,
        "--metrics-source",
        "test",
        "--lease-namespace",
        ns,
        "--wake-port",
        String(port),
        "--wake-address",
        "127.0.0.1",
        "--api-timeout",
        "2s",
        "--wake-timeout",
        "5s",
        "--hold-limit",
        "15s",
        "--watch-timeout",
        "2s",
        "--settle-delay",
        "0",
        "--log-level",
        process.env.KUBENAP_TEST_LOG ?? "error",
      ],
      env: {},
      hostname: hostname(),
      pid: process.pid,
    });
    const logger = createLogger({ format: "json", level: cfg.logLevel });
    kubenap = await startRuntime(cfg, kc, logger, { sources: new Map([["test", new ManualSource()]]) });
    return port;
  }

  it("answers a wake whose API calls hang with 503 + Retry-After within the API timeout, and stops within a bound", async () => {
    const ns = await freshNamespace("hung");
    await createApp(ns, "web", {
      replicas: 0,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/replicaCount": "1", "kubenap/state": "asleep" },
    });
    const port = await start(ns);
    proxy.blackhole();
    const t0 = Date.now();
    const res = await httpGet(port, `/wake/${ns}/web`, { Accept: "application/json" });
    // The read before the scale-up hits --api-timeout (2 s): not held until the hold limit (15 s).
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBeDefined();
    expect(res.body).toContain("could not reach the Kubernetes API");
    expect(Date.now() - t0).toBeLessThan(5_000);
    const s0 = Date.now();
    await kubenap?.stop();
    kubenap = undefined;
    expect(Date.now() - s0).toBeLessThan(15_000);
  });

  it("answers within the wake timeout when the API hangs after the scale-up, then wakes normally once it is back", async () => {
    const ns = await freshNamespace("hung-after");
    await createApp(ns, "web", {
      replicas: 0,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/replicaCount": "1", "kubenap/state": "asleep" },
      podAnnotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "3s" },
    });
    const port = await start(ns);
    const replicas = await ReplicaRecorder.start(ns, "web");
    const pending = httpGet(port, `/wake/${ns}/web`, { Accept: "application/json" });
    await replicas.until((d) => d.spec?.replicas === 1); // the scale-up went through
    proxy.blackhole(); // ... and now the API hangs while KubeNap waits for readiness
    const t0 = Date.now();
    const res = await pending;
    replicas.stop();
    // 504 when the readiness wait hits the wake timeout; 503 + Retry-After when the scale-up's own
    // answer was caught by the hang (--api-timeout). Either way a bounded, explained answer.
    expect([503, 504]).toContain(res.status);
    if (res.status === 503) expect(res.headers["retry-after"]).toBeDefined();
    expect(Date.now() - t0).toBeLessThan(8_000);
    proxy.restore();
    // Once the informers have caught up (the status endpoint says so), the next request lands.
    const deadline = Date.now() + 30_000;
    let ready = false;
    while (!ready && Date.now() < deadline) {
      const st = await httpGet(port, `/status/${ns}/web`);
      ready = st.status === 200 && (JSON.parse(st.body) as { ready: boolean }).ready;
      if (!ready) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ready).toBe(true);
    const again = await httpGet(port, `/wake/${ns}/web`, { Accept: "application/json" });
    expect(again.status).toBe(307);
  });
});
