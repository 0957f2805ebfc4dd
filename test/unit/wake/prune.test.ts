import type { V1EndpointSlice, V1Ingress, V1Service } from "@kubernetes/client-node";
import { pruneCached } from "../../../src/wake/prune.js";
import { ReadyEndpoints } from "../../../src/wake/endpoint-index.js";
import { dep, ing, rule, svc, world } from "./world.js";

const managedFields = Array.from({ length: 5 }, (_, i) => ({
  manager: `manager-${i}`,
  operation: "Apply",
  fieldsType: "FieldsV1",
  fieldsV1: { "f:metadata": { "f:labels": { ".": {}, "f:app": {} } }, "f:spec": { "f:ports": {} } },
}));
const heavy = {
  uid: "u-1",
  resourceVersion: "42",
  creationTimestamp: new Date("2026-01-01T00:00:00Z"),
  labels: { team: "a", "kubernetes.io/service-name": "web" },
  annotations: {
    "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(2000),
    "kubernetes.io/ingress.class": "nginx",
  },
  managedFields,
};

describe("pruning cached objects", () => {
  it("keeps what resolution and readiness read, drops managedFields, status and annotations", () => {
    const s: V1Service = { ...svc("n", "web", "web"), status: { loadBalancer: {} } };
    s.metadata = { ...s.metadata, ...heavy };
    s.spec = { ...s.spec, clusterIP: "10.96.0.1", ports: [{ port: 80, targetPort: 8080 }] };
    const slice: V1EndpointSlice = {
      addressType: "IPv4",
      metadata: { namespace: "n", name: "web-x", ...heavy },
      endpoints: [
        {
          addresses: ["10.0.0.1"],
          conditions: { ready: true },
          nodeName: "n1",
          targetRef: { kind: "Pod", name: "p" },
        },
      ],
      ports: [{ port: 8080 }],
    };
    const i: V1Ingress = ing("n", "web", [rule("web.example", ["Prefix", "/", "web"])], {
      tls: [{ hosts: ["web.example"] }],
    });
    i.metadata = { ...i.metadata, ...heavy, creationTimestamp: i.metadata?.creationTimestamp ?? new Date() };
    i.status = { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } };
    const before = JSON.stringify([s, slice, i]).length;

    pruneCached.service(s);
    pruneCached.endpointSlice(slice);
    pruneCached.ingress(i);

    expect(JSON.stringify([s, slice, i]).length).toBeLessThan(before / 4);
    for (const o of [s, slice, i]) {
      expect(o.metadata?.managedFields).toBeUndefined();
      expect(o.metadata?.resourceVersion).toBe("42");
      expect(o.metadata?.uid).toBe("u-1");
    }
    expect(s.status).toBeUndefined();
    expect(s.spec).toEqual({ selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] });
    expect(slice.metadata?.labels).toEqual({ "kubernetes.io/service-name": "web" });
    expect(slice.endpoints).toEqual([{ addresses: ["10.0.0.1"], conditions: { ready: true } }]);
    expect(i.metadata?.annotations).toEqual({ "kubernetes.io/ingress.class": "nginx" });
    expect(i.status).toBeUndefined();

    // What the wake path reads still works on the pruned objects.
    const index = world([dep("n", "web"), s, i], { ingressClass: "nginx" });
    const t = index.resolve({ host: "web.example", path: "/" });
    expect([t.key, t.tlsHosts]).toEqual(["n/web", ["web.example"]]);
    const ready = new ReadyEndpoints();
    ready.onSlice("add", slice);
    expect(ready.isReady("n", "web")).toBe(true);
  });
});
