// Reliability (issue 12, 3): kube-apiserver restarted, and separately etcd restarted, while KubeNap
// runs. Starts a control plane of its own: restarting the shared one would disturb other test files.
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { hostname } from "node:os";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { startRuntime, type Runtime } from "../../../src/main.js";
import { startPlane, type Plane } from "../../cluster/plane.js";
import { freePort } from "../../cluster/ports.js";
import { httpGet, type HttpAnswer } from "../helpers/kube.js";
import { ManualSource } from "../helpers/sources.js";

describe("the control plane restarted under a running KubeNap", () => {
  let plane: Plane;
  let kubenap: Runtime | undefined;
  let apps: AppsV1Api;
  let port = 0;

  const sleepingApp = (name: string): V1Deployment => ({
    metadata: {
      name,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/replicaCount": "1", "kubenap/state": "asleep" },
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "2s" } },
        spec: { containers: [{ name: "app", image: "example.invalid/app:1" }] },
      },
    },
  });
  const createSleeping = async (kc: KubeConfig, name: string): Promise<void> => {
    await apps.createNamespacedDeployment({ namespace: "default", body: sleepingApp(name) });
    await kc.makeApiClient(CoreV1Api).createNamespacedService({
      namespace: "default",
      body: {
        metadata: { name },
        spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
  };
  let kc: KubeConfig;

  beforeAll(async () => {
    plane = await startPlane();
    kc = new KubeConfig();
    kc.loadFromFile(plane.kubeconfig);
    apps = kc.makeApiClient(AppsV1Api);
    port = await freePort();
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
        "5s",
        "--settle-delay",
        "100ms",
        "--retry-after",
        "1",
        "--api-timeout",
        "3s",
        "--log-level",
        process.env.KUBENAP_TEST_LOG ?? "error",
      ],
      env: {},
      hostname: hostname(),
      pid: process.pid,
    });
    kubenap = await startRuntime(cfg, kc, createLogger({ format: "json", level: cfg.logLevel }), {
      sources: new Map([["none", new ManualSource()]]),
    });
  }, 120_000);
  afterAll(async () => {
    await kubenap?.stop();
    await plane?.stop();
  });

  /**
   * A client that honours Retry-After, bounded: asks until 307; every answer must be 307, or 503
   * with Retry-After (never 404: the app exists, KubeNap's view may only be late).
   */
  const wakeUntilReady = async (name: string, ms = 40_000): Promise<string[]> => {
    const seen: string[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const r: HttpAnswer = await httpGet(port, `/wake/default/${name}`);
      seen.push(String(r.status));
      if (r.status === 307) return seen;
      expect({ status: r.status, retryAfter: r.headers["retry-after"] }).toEqual({
        status: 503,
        retryAfter: "1",
      });
      if (Date.now() > deadline) throw new Error(`no 307 within ${ms} ms; answers ${seen.join(",")}`);
      await new Promise((res) => setTimeout(res, 1_000));
    }
  };

  for (const component of ["kube-apiserver", "etcd"]) {
    it(`${component} restarted: a held wake completes or answers 503 + Retry-After, informers recover, no stale 404`, async () => {
      const before = `before-${component}`;
      const after = `after-${component}`;
      await createSleeping(kc, before);
      // The wake is held (pods take 2 s to be ready) when the component goes down.
      const held = httpGet(port, `/wake/default/${before}`);
      await plane.stopComponent(component);
      const down = Date.now();
      const answer = await held;
      expect([307, 503]).toContain(answer.status);
      if (answer.status === 503) expect(answer.headers["retry-after"]).toBe("1");
      await plane.startComponent(component);
      const outageMs = Date.now() - down;
      // The same KubeNap, not restarted: the held app completes, and an app created after the
      // restart is seen through the recovered informers.
      const first = await wakeUntilReady(before);
      await createSleeping(kc, after);
      const second = await wakeUntilReady(after);
      const dep = await apps.readNamespacedDeployment({ name: after, namespace: "default" });
      expect(dep.spec?.replicas).toBe(1);
      console.log(
        `plane-restart: ${component} down ${outageMs} ms; held wake answered ${answer.status}; then ${first.join(",")} and ${second.join(",")}`,
      );
    }, 120_000);
  }
});
