// KubeNap's resident memory with APPS opted-in apps (each a Deployment at 0 replicas, a Service and an
// Ingress) plus UNRELATED Services whose EndpointSlices the endpoint controller creates, all on a real
// control plane. KubeNap runs in a child process (so the figure is its own) watching all namespaces,
// with the Node.js flags of the container image; it reports RSS and heap after its informers have listed
// everything and a full GC, and its peak RSS. Goal: < 250 MB. Bounded: creation has a deadline, the
// child one too.
//
//   npm run bench -- wake-memory            (or: node --import tsx bench/wake-memory.ts [apps] [unrelated])
// Runs against KUBENAP_TEST_KUBECONFIG if set, else starts a local control plane.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createPopulation } from "./lib/population.js";
import { containerNodeFlags, withPlane } from "./lib/plane.js";

const APPS = Number(process.argv[2] ?? 2000);
const UNRELATED = Number(process.argv[3] ?? 10_000);

await withPlane(async (kubeconfig) => {
  const pop = await createPopulation({ apps: APPS, unrelated: UNRELATED, replicas: 0, prefix: "mem" });
  // The child runs the compiled code, as the container does: build it from this tree first.
  await promisify(execFile)(
    process.execPath,
    ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"],
    {
      timeout: 5 * 60_000,
    },
  );
  const nodeFlags = containerNodeFlags();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...nodeFlags, "--expose-gc", "bench/wake-memory-child.js", kubeconfig],
    { encoding: "utf8", timeout: 10 * 60_000, maxBuffer: 1 << 20 },
  );
  const m = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Record<string, number>;
  console.log(
    `wake-memory: apps=${APPS} unrelated_services=${UNRELATED} endpointslices=${pop.endpointSlices} create_s=${pop.createdS} rss_mb=${m.rssMb} peak_rss_mb=${m.peakRssMb} heap_used_mb=${m.heapUsedMb} sync_ms=${m.syncMs} goal_rss_mb=250 node_flags=${nodeFlags.join(",") || "none"}`,
  );
});
