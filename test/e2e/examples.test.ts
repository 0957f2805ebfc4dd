// Every YAML in examples/ passes a server-side dry run on the real API server with the Traefik, Istio
// and Gateway API CRDs installed (the world installs them), so the examples are valid as written.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { clients } from "../integration/helpers/kube.js";
import { runInNetns, world } from "./helpers/world.js";

const EXAMPLES = join(process.cwd(), "examples");
/** Not Kubernetes objects: Traefik's static configuration. */
const NOT_OBJECTS = new Set(["traefik/traefik-static.yaml"]);
const files = readdirSync(EXAMPLES, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".yaml") && !NOT_OBJECTS.has(f))
  .sort();

describe("examples/ on the real API server", () => {
  beforeAll(async () => {
    // The namespaces the examples live in (a dry run does not create app.yaml's Namespace).
    const { core } = clients();
    for (const name of ["shop", "istio-system"]) {
      await core.createNamespace({ body: { metadata: { name } } }).catch(() => undefined);
    }
  });

  afterAll(async () => {
    const { core } = clients();
    for (const name of ["shop", "istio-system"]) await core.deleteNamespace({ name }).catch(() => undefined);
  });

  it("has the files the READMEs name", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "istio/app.yaml",
        "istio/envoyfilter.yaml",
        "nginx/app.yaml",
        "nginx/ingress-nginx.yaml",
        "traefik/httproute.yaml",
        "traefik/ingress.yaml",
        "traefik/ingressroute.yaml",
        "traefik/middleware.yaml",
      ]),
    );
  });

  it.each(files)("%s passes kubectl apply --dry-run=server", async (file) => {
    const w = world();
    const out = await runInNetns([
      join(w.bin, "kubectl"),
      "--kubeconfig",
      w.innerKubeconfig,
      "apply",
      "--dry-run=server",
      "-f",
      join(EXAMPLES, file),
    ]);
    expect(out).toMatch(/\(server dry run\)/);
  });
});
