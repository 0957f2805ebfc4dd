import type { V1EndpointSlice } from "@kubernetes/client-node";
import { ReadyEndpoints } from "../../../src/wake/endpoint-index.js";

const slice = (name: string, svc: string | undefined, ready: (boolean | undefined)[]): V1EndpointSlice => ({
  addressType: "IPv4",
  metadata: { namespace: "n", name, ...(svc && { labels: { "kubernetes.io/service-name": svc } }) },
  endpoints: ready.map((r, i) => ({
    addresses: [`10.0.0.${i + 1}`],
    ...(r !== undefined && { conditions: { ready: r } }),
  })),
});

describe("ReadyEndpoints", () => {
  it("tracks ready endpoints per Service across slices, updates, relabels and deletes", () => {
    const e = new ReadyEndpoints();
    expect(e.isReady("n", "web")).toBe(false);
    e.onSlice("add", slice("web-a", "web", [false]));
    expect(e.isReady("n", "web")).toBe(false);
    e.onSlice("add", slice("web-b", "web", [undefined]));
    expect(e.isReady("n", "web")).toBe(true);
    e.onSlice("update", slice("web-b", "web", [false, false]));
    expect(e.isReady("n", "web")).toBe(false);
    e.onSlice("update", slice("web-a", "web", [true]));
    expect(e.isReady("n", "web")).toBe(true);
    // A relabelled slice changes both Services: both are reported, so waiters of either are told.
    expect(e.onSlice("update", slice("web-a", "api", [true]))).toEqual(["n/web", "n/api"]);
    expect([e.isReady("n", "web"), e.isReady("n", "api")]).toEqual([false, true]);
    expect(e.onSlice("delete", slice("web-a", "api", [true]))).toEqual(["n/api"]);
    expect(e.isReady("n", "api")).toBe(false);
    e.onSlice("add", slice("orphan", undefined, [true]));
    expect(e.isReady("m", "web")).toBe(false);
  });
});
