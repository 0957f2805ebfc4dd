import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { hostname } from "node:os";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { startRuntime } from "../../../src/main.js";
import { freePort } from "../../cluster/ports.js";
import { clients, createApp, freshNamespace, httpGet, waitForDeployment } from "../helpers/kube.js";
import { ManualSource } from "../helpers/sources.js";

const SA = "system:serviceaccount:kubenap:kubenap";
const kubectl = (...args: string[]): string =>
  execFileSync(
    join(process.env.KUBENAP_TEST_BIN ?? "", "kubectl"),
    ["--kubeconfig", process.env.KUBENAP_TEST_KUBECONFIG ?? "", ...args],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
const canI = (verb: string, resource: string, ns = "default"): boolean => {
  const [res = "", sub] = resource.split("#");
  try {
    const extra = sub ? [`--subresource=${sub}`] : [];
    return kubectl("auth", "can-i", verb, res, ...extra, "-n", ns, `--as=${SA}`).trim() === "yes";
  } catch {
    return false;
  }
};

/** A kubeconfig that acts as KubeNap's ServiceAccount (impersonation by the test plane's admin). */
function serviceAccountKubeConfig(): KubeConfig {
  const admin = readFileSync(process.env.KUBENAP_TEST_KUBECONFIG ?? "", "utf8");
  const asSa = admin.replace(/( {4}client-key: .*\n)/, `$1    as: ${SA}\n`);
  const file = join(mkdtempSync(join(tmpdir(), "kubenap-sa-")), "kubeconfig");
  writeFileSync(file, asSa);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

describe("deploy/ manifests", () => {
  beforeAll(() => {
    kubectl("apply", "-k", "deploy/");
  });

  it("pass a server-side dry run against the real API (kubectl apply -k deploy/)", () => {
    const out = kubectl("apply", "--dry-run=server", "-k", "deploy/");
    expect(out).toMatch(/deployment.apps\/kubenap .*\(server dry run\)/);
    expect(out).toMatch(/clusterrole.rbac.authorization.k8s.io\/kubenap .*\(server dry run\)/);
  });

  it("grant least privilege: no Secrets, no Pods, no deleting or replacing Deployments, Leases only in kubenap", () => {
    expect(canI("patch", "deployments.apps")).toBe(true);
    expect(canI("watch", "endpointslices.discovery.k8s.io")).toBe(true);
    for (const [verb, res] of [
      ["get", "services"],
      ["get", "endpointslices.discovery.k8s.io"],
      ["get", "ingresses.networking.k8s.io"],
      ["patch", "deployments.apps#scale"],
      ["update", "deployments.apps#scale"],
      ["get", "secrets"],
      ["list", "configmaps"],
      ["delete", "pods"],
      ["delete", "deployments.apps"],
      ["update", "deployments.apps"],
      ["create", "deployments.apps"],
      ["patch", "services"],
    ]) {
      expect([verb, res, canI(verb ?? "", res ?? "")]).toEqual([verb, res, false]);
    }
    expect(canI("update", "leases.coordination.k8s.io/kubenap-monitor", "kubenap")).toBe(true);
    expect(canI("update", "leases.coordination.k8s.io/other", "kubenap")).toBe(false);
    expect(canI("create", "leases.coordination.k8s.io", "kubenap")).toBe(true);
    expect(canI("update", "leases.coordination.k8s.io", "default")).toBe(false);
  });

  it("are enough to run KubeNap: as its ServiceAccount it puts an app to sleep and wakes it", async () => {
    const ns = await freshNamespace("rbac");
    await createApp(ns, "web", {
      replicas: 2,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/idleAfter": "1s" },
    });
    const kc = serviceAccountKubeConfig();
    expect(kc.getCurrentUser()?.impersonateUser).toBe(SA);
    const port = await freePort();
    const cfg = loadConfig({
      argv: [
        "--namespaces",
        ns,
        "--metrics-source",
        "test",
        "--sweep-interval",
        "500ms",
        "--lease-namespace",
        "kubenap",
        "--lease-name",
        "kubenap-monitor",
        "--wake-port",
        String(port),
        "--wake-address",
        "127.0.0.1",
        "--settle-delay",
        "100ms",
        "--log-level",
        "error",
      ],
      env: {},
      hostname: hostname(),
      pid: process.pid,
    });
    const runtime = await startRuntime(cfg, kc, createLogger({ format: "json", level: "error" }), {
      sources: new Map([["test", new ManualSource()]]),
    });
    try {
      await waitForDeployment(ns, "web", (d) => d.spec?.replicas === 0, 15_000);
      const res = await httpGet(port, `/wake/${ns}/web`);
      expect(res.status).toBe(307);
      await waitForDeployment(ns, "web", (d) => d.spec?.replicas === 2);
    } finally {
      await runtime.stop();
    }
  });

  it("let the API server refuse, for KubeNap's ServiceAccount, every Deployment write but replicas and kubenap/* annotations on opted-in apps", async () => {
    const ns = await freshNamespace("vap");
    await createApp(ns, "web", { replicas: 1, labels: { "kubenap/enabled": "true" } });
    await createApp(ns, "plain", { replicas: 1 });
    const apps = serviceAccountKubeConfig().makeApiClient(AppsV1Api);
    const patch = (name: string, body: object, dryRun = false) =>
      apps
        .patchNamespacedDeployment({ name, namespace: ns, body, ...(dryRun && { dryRun: "All" }) }, MERGE)
        .then(
          () => "allowed",
          (err: unknown) => {
            const e = err as { code?: number; body?: string };
            return `denied ${e.code}: ${String(e.body).slice(0, 300)}`;
          },
        );
    // The policy is enforced once the API server has loaded it: wait (bounded) for the first denial.
    const deadline = Date.now() + 20_000;
    while ((await patch("plain", { spec: { replicas: 0 } }, true)) === "allowed") {
      if (Date.now() > deadline) throw new Error("the admission policy was never enforced");
      await new Promise((r) => setTimeout(r, 200));
    }
    const cases: [string, string, object, RegExp | "allowed"][] = [
      [
        "pod template",
        "web",
        { spec: { template: { metadata: { annotations: { x: "1" } } } } },
        /only spec.replicas/,
      ],
      [
        "container image",
        "web",
        { spec: { template: { spec: { containers: [{ name: "app", image: "evil:1" }] } } } },
        /only spec.replicas/,
      ],
      ["unlabelled Deployment", "plain", { spec: { replicas: 0 } }, /labelled kubenap\/enabled=true/],
      [
        "non-kubenap annotation",
        "web",
        { metadata: { annotations: { "example.com/x": "1" } } },
        /only kubenap\/\* annotations/,
      ],
      ["labels", "web", { metadata: { labels: { "kubenap/enabled": "false" } } }, /labels/],
      ["paused", "web", { spec: { paused: true } }, /only spec.replicas/],
      [
        "sleep",
        "web",
        {
          metadata: { annotations: { "kubenap/state": "asleep", "kubenap/replicaCount": "1" } },
          spec: { replicas: 0 },
        },
        "allowed",
      ],
      [
        "wake",
        "web",
        { metadata: { annotations: { "kubenap/state": "awake" } }, spec: { replicas: 1 } },
        "allowed",
      ],
      ["replicas alone", "web", { spec: { replicas: 2 } }, "allowed"],
    ];
    for (const [what, name, body, want] of cases) {
      const got = await patch(name, body);
      if (want === "allowed") expect([what, got]).toEqual([what, "allowed"]);
      else {
        expect([what, got]).toEqual([what, expect.stringMatching(/^denied (403|422)/)]);
        expect([what, got]).toEqual([what, expect.stringMatching(want)]);
      }
    }
    // The scale subresource is not granted at all.
    const scale = await apps
      .patchNamespacedDeploymentScale({ name: "web", namespace: ns, body: { spec: { replicas: 0 } } }, MERGE)
      .then(
        () => 0,
        (e: { code?: number }) => e.code ?? -1,
      );
    expect(scale).toBe(403);
    const { apps: admin } = clients();
    const web = await admin.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(web.spec?.replicas).toBe(2);
    expect(web.spec?.template.spec?.containers[0]?.image).toBe("example.invalid/app:1");
    expect(web.metadata?.annotations?.["example.com/x"]).toBeUndefined();
  });
});
