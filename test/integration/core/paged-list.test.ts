// Informers list page by page (limit/continue, as client-go's pager does), so a cluster with 10,000
// Services is never parsed as one document: every object still arrives, over several pages of one
// snapshot, and the watch that follows the last page sees later changes.
import { CoreV1Api, type V1Service } from "@kubernetes/client-node";
import winston from "winston";
import { systemClock } from "../../../src/clock.js";
import type { ListPage } from "../../../src/k8s/pager.js";
import { WatchSet } from "../../../src/k8s/watch-set.js";
import { freshNamespace, testKubeConfig } from "../helpers/kube.js";

const service = (name: string): V1Service => ({
  metadata: { name },
  spec: { ports: [{ port: 80 }], selector: { app: name } },
});

describe("paged informer lists", () => {
  let set: WatchSet<V1Service> | undefined;
  afterEach(() => set?.stop());

  it("lists every object over several pages of one snapshot, then watches from its resourceVersion", async () => {
    const ns = await freshNamespace("paged");
    const kc = testKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    for (let i = 0; i < 7; i++) await core.createNamespacedService({ namespace: ns, body: service(`s${i}`) });
    const pages: ListPage[] = [];
    const got = new Set<string>();
    set = new WatchSet<V1Service>({
      kc,
      resource: "services",
      path: (n) => `/api/v1/namespaces/${n ?? ns}/services`,
      list: async (n, page) => {
        const list = await core.listNamespacedService({ namespace: n ?? ns, ...page, limit: 3 });
        pages.push(page);
        // A Service created between two pages is not in this snapshot; the watch brings it.
        if (pages.length === 1) await core.createNamespacedService({ namespace: ns, body: service("late") });
        return list;
      },
      namespaces: [ns],
      logger: winston.createLogger({ silent: true }),
      clock: systemClock,
    });
    const late = new Promise<void>((resolve) =>
      set?.onChange((type, s) => {
        got.add(s.metadata?.name ?? "");
        if (type === "add" && s.metadata?.name === "late") resolve();
      }),
    );
    await set.start();

    // 7 Services in pages of 3: three list calls, the second and third continuing the first.
    expect(pages.map((p) => p._continue !== undefined)).toEqual([false, true, true]);
    expect(
      set
        .list(ns)
        .map((s) => s.metadata?.name)
        .filter((n) => n !== "late")
        .sort(),
    ).toEqual(["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);
    await late;
    expect([...got].sort()).toEqual(["late", "s0", "s1", "s2", "s3", "s4", "s5", "s6"]);
  }, 60_000);
});
