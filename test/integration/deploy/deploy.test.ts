import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { hostname } from "node:os";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { startRuntime } from "../../../src/main.js";
import { freePort } from "../../cluster/ports.js";
import { createApp, freshNamespace, httpGet, waitForDeployment } from "../helpers/kube.js";
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
  try {
    return kubectl("auth", "can-i", verb, resource, "-n", ns, `--as=${SA}`).trim() === "yes";
  } catch {
    return false;
  }
};

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
    expect(canI("update", "leases.coordination.k8s.io", "kubenap")).toBe(true);
    expect(canI("update", "leases.coordination.k8s.io", "default")).toBe(false);
  });

  it("are enough to run KubeNap: as its ServiceAccount it puts an app to sleep and wakes it", async () => {
    const ns = await freshNamespace("rbac");
    await createApp(ns, "web", {
      replicas: 2,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/idleAfter": "1s" },
    });
    const admin = readFileSync(process.env.KUBENAP_TEST_KUBECONFIG ?? "", "utf8");
    const asSa = admin.replace(/( {4}client-key: .*\n)/, `$1    as: ${SA}\n`);
    const file = join(mkdtempSync(join(tmpdir(), "kubenap-sa-")), "kubeconfig");
    writeFileSync(file, asSa);
    const kc = new KubeConfig();
    kc.loadFromFile(file);
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
        `kubenap-${ns}`,
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
});
