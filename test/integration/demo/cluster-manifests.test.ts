// `npm run demo -- --kubeconfig` cannot run here (no cluster that pulls images), so its manifests are
// checked the way they are applied: kustomize over deploy/, then a server-side dry run against the real
// API server, with Traefik's CRDs installed; KubeNap's configuration is read by the real loader.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../../../src/config/config.js";
import { DEMO_NAMESPACE } from "../../../demo/apps.js";
import { CLUSTER_IMAGES, clusterManifests } from "../../../demo/manifests.js";

const kubectl = (args: string[], input?: string): string =>
  execFileSync(
    join(process.env.KUBENAP_TEST_BIN ?? "", "kubectl"),
    ["--kubeconfig", process.env.KUBENAP_TEST_KUBECONFIG ?? "", ...args],
    { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] },
  );

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: { name: string; image: string }[] } } };
  data?: Record<string, string>;
}

describe("the demo's manifests for a real cluster (npm run demo -- --kubeconfig)", () => {
  const out = join(mkdtempSync(join(tmpdir(), "kubenap-demo-cluster-")), "cluster");
  let rendered = "";
  let objects: Obj[] = [];

  beforeAll(() => {
    mkdirSync(out, { recursive: true });
    for (const [name, content] of clusterManifests(
      join(process.cwd(), "deploy"),
      out,
      "registry.test/kubenap:9.9",
    ))
      writeFileSync(join(out, name), content);
    rendered = kubectl(["kustomize", out]);
    objects = parseAllDocuments(rendered).map((d) => d.toJS() as Obj);
    const crds = join(
      process.env.KUBENAP_SHARED_CRDS ?? join(process.cwd(), "..", "shared", "crds"),
      "traefik-crds.yaml",
    );
    kubectl(["apply", "--server-side", "--force-conflicts", "-f", crds]);
    kubectl([
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      "crd/middlewares.traefik.io",
      "crd/ingressroutes.traefik.io",
    ]);
    // A dry run cannot create objects in a namespace that does not exist yet: create the two for real.
    kubectl(
      ["apply", "-f", "-"],
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: kubenap}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ${DEMO_NAMESPACE}}\n`,
    );
  });

  afterAll(() => {
    try {
      kubectl(["delete", "namespace", DEMO_NAMESPACE, "--wait=false"]);
    } catch {
      // already gone
    }
  });

  it("hold deploy/ and the demo's parts, every file of the folder used", () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);
    for (const want of [
      "Deployment/kubenap/kubenap",
      "ClusterRole//kubenap",
      "Deployment/kubenap-demo/blog",
      "Deployment/kubenap-demo/shop",
      "Middleware/kubenap-demo/kubenap-wake-blog",
      "IngressRoute/kubenap-demo/shop",
      "Deployment/kubenap-demo/traefik",
      "Deployment/kubenap-demo/prometheus",
    ])
      expect(names).toContain(want);
    expect(readdirSync(out).sort()).toEqual([
      "apps.yaml",
      "image-patch.yaml",
      "kubenap-patch.yaml",
      "kustomization.yaml",
      "prometheus.yaml",
      "traefik.yaml",
    ]);
  });

  it("pass a server-side dry run against the real API server", () => {
    const res = kubectl(["apply", "--dry-run=server", "-f", "-"], rendered);
    const lines = res.trim().split("\n");
    expect(lines.length).toBe(objects.length);
    for (const l of lines) expect(l).toMatch(/\(server dry run\)$/);
  });

  it("run KubeNap from the given image with a configuration the real loader accepts: Prometheus source, traefik preset", () => {
    const dep = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "kubenap");
    expect(dep?.spec?.template?.spec?.containers?.[0]?.image).toBe("registry.test/kubenap:9.9");
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "kubenap");
    const file = join(out, "config-as-mounted.yaml");
    writeFileSync(file, cm?.data?.["config.yaml"] ?? "");
    const cfg = loadConfig({ argv: ["--config", file], env: {}, hostname: "h", pid: 1 });
    expect(cfg).toMatchObject({ metricsSource: "prometheus", proxy: "traefik", logLevel: "debug" });
    expect(JSON.stringify(cfg)).toContain(`http://prometheus.${DEMO_NAMESPACE}.svc:9090`);
    const images = objects.flatMap((o) => o.spec?.template?.spec?.containers?.map((c) => c.image) ?? []);
    expect(images).toEqual(expect.arrayContaining(Object.values(CLUSTER_IMAGES)));
  });
});
