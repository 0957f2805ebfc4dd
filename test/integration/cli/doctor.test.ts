import { jest } from "@jest/globals";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, AutoscalingV2Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { CLUSTER_RULES } from "../../../src/cli/doctor/rbac.js";
import { clients, createApp, ENABLED, freshNamespace, testKubeConfig } from "../helpers/kube.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `kubenap doctor` as a process against the test plane (bounded: 90 s, for a loaded shared machine). */
const doctor = (...args: string[]): Promise<Run> =>
  doctorWith(process.env.KUBENAP_TEST_KUBECONFIG ?? "", ...args);

function doctorWith(kubeconfig: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "doctor", ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`doctor did not finish in 90 s:\n${stdout}\n${stderr}`));
    }, 90_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const failures = (out: string): string[] => out.split("\n").filter((l) => l.startsWith("✗"));

// Each doctor process starts tsx; on a loaded machine that alone can take tens of seconds.
jest.setTimeout(300_000);

describe("kubenap doctor", () => {
  const { kc, core } = clients(testKubeConfig());
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  let ns: string;

  beforeAll(async () => {
    ns = await freshNamespace("doctor");
  });

  it("reports a broken setup with one line and its fix per problem, and exits 1", async () => {
    // (a) a ServiceAccount whose ClusterRole lacks `patch` on deployments
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: "nap" } } });
    const role = `doctor-${ns}`.slice(0, 63);
    await rbac.createClusterRole({
      body: {
        metadata: { name: role },
        // Every rule KubeNap needs, but deployments without `patch`.
        rules: CLUSTER_RULES.map((r) => ({ ...r, verbs: r.verbs.filter((v) => v !== "patch") })),
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: "nap" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
        subjects: [{ kind: "ServiceAccount", name: "nap", namespace: ns }],
      },
    });
    // (c) an opted-in app without a Service
    await createApp(ns, "lonely", { replicas: 1, labels: ENABLED, service: false });
    // (d) a Traefik Deployment (kwok runs nothing) without allowEmptyServices
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: "traefik" },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: "traefik" } },
          template: {
            metadata: { labels: { app: "traefik" } },
            spec: {
              containers: [
                { name: "traefik", image: "traefik:v3.3", args: ["--providers.kubernetesingress"] },
              ],
            },
          },
        },
      },
    });
    // (b) an unreachable Prometheus: a closed loopback port
    const port = await closedPort();
    try {
      const r = await doctor(
        "--namespace",
        ns,
        "--as",
        `system:serviceaccount:${ns}:nap`,
        "--leader-election=false",
        "--metrics-source",
        "prometheus",
        "--prometheus-url",
        `http://127.0.0.1:${port}`,
      );
      process.stdout.write(`kubenap doctor output (broken setup):\n${r.stdout}${r.stderr}`);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(1);
      const bad = failures(r.stdout);
      const line = (re: RegExp): string[] => bad.filter((l) => re.test(l));
      // (a) exactly the missing verb, with its fix
      expect(line(/RBAC/)).toEqual([
        expect.stringMatching(
          /^✗ RBAC: get, list, watch, patch deployments\.apps .* may not patch — fix: grant it \(kubectl apply -f deploy\/rbac\.yaml/,
        ),
      ]);
      // one ✗ per problem: (a) to (d), nothing else
      expect(bad).toHaveLength(4);
      // (b)
      expect(line(/^✗ metrics source prometheus:/)).toEqual([
        expect.stringMatching(/ECONNREFUSED|connect|refused|reach/i),
      ]);
      expect(line(/^✗ metrics source prometheus:/)[0]).toContain("— fix:");
      // (c)
      expect(line(/lonely: Service/)).toEqual([
        expect.stringMatching(
          /exactly one Service selecting its pods \(found 0\).* — fix: create one Service/,
        ),
      ]);
      // (d)
      expect(line(new RegExp(`Traefik ${ns}/traefik allowEmptyServices`))).toEqual([
        expect.stringMatching(/— fix: add --providers\.kubernetesingress\.allowEmptyServices=true/),
      ]);
      expect(r.stdout).toMatch(/^✓ clock skew against the API server/m);
      expect(r.stdout).not.toContain("    at ");
    } finally {
      await kc.makeApiClient(AppsV1Api).deleteNamespacedDeployment({ namespace: ns, name: "traefik" });
      await kc.makeApiClient(AppsV1Api).deleteNamespacedDeployment({ namespace: ns, name: "lonely" });
      await rbac.deleteClusterRole({ name: role });
    }
  });

  it("passes every check on a healthy setup and exits 0; an HPA then fails it", async () => {
    const healthy = await freshNamespace("doctor-ok");
    await createApp(healthy, "web", { replicas: 1, labels: ENABLED });
    // Traefik wiring: errors Middleware to KubeNap's Service, attached through the Ingress annotation.
    await kc
      .makeApiClient((await import("@kubernetes/client-node")).NetworkingV1Api)
      .createNamespacedIngress({
        namespace: healthy,
        body: {
          metadata: {
            name: "web",
            annotations: {
              "traefik.ingress.kubernetes.io/router.middlewares": `${healthy}-kubenap-web@kubernetescrd`,
            },
          },
          spec: {
            ingressClassName: "traefik",
            rules: [
              {
                host: "web.example.test",
                http: {
                  paths: [
                    {
                      path: "/",
                      pathType: "Prefix",
                      backend: { service: { name: "web", port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          },
        },
      });
    // Leader election on (the default): the Lease verbs are checked too.
    const args = ["--namespace", healthy, "--metrics-source", "none"];
    const r = await doctor(...args);
    process.stdout.write(`kubenap doctor output (healthy):\n${r.stdout}${r.stderr}`);
    // Without the Traefik CRDs on the plane, the Middleware cannot exist: that is the one expected ✗.
    const bad = failures(r.stdout);
    expect(bad).toEqual([
      expect.stringMatching(/error fallback of Ingress web: Middleware .*kubenap-web not found — fix:/),
    ]);
    expect(r.code).toBe(1);

    // The same app routed by an ingress-nginx Ingress whose default backend is KubeNap: every check passes.
    const networking = kc.makeApiClient((await import("@kubernetes/client-node")).NetworkingV1Api);
    await networking.patchNamespacedIngress({
      namespace: healthy,
      name: "web",
      body: [
        { op: "replace", path: "/spec/ingressClassName", value: "nginx" },
        {
          op: "replace",
          path: "/metadata/annotations",
          value: {
            "nginx.ingress.kubernetes.io/custom-http-errors": "502,503,504",
            "nginx.ingress.kubernetes.io/default-backend": "kubenap-web",
          },
        },
      ],
    });
    await core.createNamespacedService({
      namespace: healthy,
      body: {
        metadata: { name: "kubenap-web" },
        spec: {
          type: "ExternalName",
          externalName: "kubenap.kubenap.svc.cluster.local",
          ports: [{ port: 8080 }],
        },
      },
    });
    const ok = await doctor(...args);
    expect(failures(ok.stdout)).toEqual([]);
    expect(ok.stdout).toMatch(
      /✓ .*web: error fallback of Ingress web → ingress-nginx default backend → KubeNap/,
    );
    expect(ok.stdout).toMatch(/all \d+ checks pass/);
    expect(ok.stdout).toMatch(
      /^✓ RBAC: get, update leases\.coordination\.k8s\.io kubenap-monitor \(namespace [a-z0-9-]+\)$/m,
    );
    expect(ok.code).toBe(0);

    // An HPA on the app: one ✗ explaining that KubeNap never sleeps it.
    await kc.makeApiClient(AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
      namespace: healthy,
      body: {
        metadata: { name: "web" },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          minReplicas: 1,
          maxReplicas: 3,
        },
      },
    });
    const hpa = await doctor(...args);
    expect(failures(hpa.stdout)).toEqual([
      expect.stringMatching(
        /web: no HorizontalPodAutoscaler: HPA web scales it; KubeNap never puts an app with an HPA to sleep.* — fix: delete the HPA/,
      ),
    ]);
    expect(hpa.code).toBe(1);
  });

  it("says in one line that the cluster is unreachable and exits 1", async () => {
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), "doctor-"));
    const file = join(dir, "kubeconfig");
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:${port}" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
    );
    const r = await doctorWith(file);
    expect(r.stderr).toMatch(/cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^kubenap doctor: /);
    expect(r.stderr).not.toContain("    at ");
  });
});
