// Starts its own control plane: this test stops and restarts kube-apiserver.
import { KubeConfig, AppsV1Api } from "@kubernetes/client-node";
import { hostname } from "node:os";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { startRuntime, type Runtime } from "../../../src/main.js";
import { startPlane, type Plane } from "../../cluster/plane.js";
import { freePort } from "../../cluster/ports.js";
import { httpGet } from "../helpers/kube.js";
import { ManualSource } from "../helpers/sources.js";

describe("the wake handler while the API server is down", () => {
  let plane: Plane;
  let kubenap: Runtime | undefined;
  let apps: AppsV1Api;

  beforeAll(async () => {
    plane = await startPlane();
    const kc = new KubeConfig();
    kc.loadFromFile(plane.kubeconfig);
    apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: "default",
      body: {
        metadata: {
          name: "web",
          labels: { "kubenap/enabled": "true" },
          annotations: { "kubenap/replicaCount": "1" },
        },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "app", image: "example.invalid/app:1" }] },
          },
        },
      },
    });
    const port = await freePort();
    const cfg = loadConfig({
      argv: [
        "--kubeconfig",
        plane.kubeconfig,
        "--wake-port",
        String(port),
        "--wake-address",
        "127.0.0.1",
        "--leader-election",
        "false",
        "--hold-limit",
        "3s",
        "--settle-delay",
        "100ms",
        "--retry-after",
        "1",
        "--log-level",
        "error",
      ],
      env: {},
      hostname: hostname(),
      pid: process.pid,
    });
    kubenap = await startRuntime(cfg, kc, createLogger({ format: "json", level: "error" }), {
      sources: new Map([["none", new ManualSource()]]),
    });
  });
  afterAll(async () => {
    await kubenap?.stop();
    await plane?.stop();
  });

  it("answers 503 with Retry-After within the hold limit, keeps serving, and completes the wake once the API is back", async () => {
    const port = kubenap?.wakePort ?? 0;
    await plane.stopComponent("kube-apiserver");
    const t0 = Date.now();
    const down = await httpGet(port, "/wake/default/web");
    expect(down.status).toBe(503);
    expect(down.headers["retry-after"]).toBe("1");
    expect(Date.now() - t0).toBeLessThanOrEqual(3_000 + 1_000);
    expect((await httpGet(port, "/healthz")).status).toBe(200);

    await plane.startComponent("kube-apiserver");
    // A client that honours Retry-After: retry until the wake completes (bounded).
    let last = down;
    for (let i = 0; i < 60 && last.status !== 307; i++) {
      await new Promise((r) => setTimeout(r, Number(last.headers["retry-after"] ?? 1) * 1000));
      last = await httpGet(port, "/wake/default/web");
    }
    expect(last.status).toBe(307);
    const dep = await apps.readNamespacedDeployment({ name: "web", namespace: "default" });
    expect(dep.spec?.replicas).toBe(1);
  });
});
