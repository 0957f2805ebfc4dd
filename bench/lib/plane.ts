// The control plane a benchmark runs on: KUBENAP_TEST_KUBECONFIG if set, else a local one it starts
// (test/cluster/plane.ts: kwok pods, ready at once unless delayed by annotation) and stops afterwards.
import { readFileSync } from "node:fs";
import { startPlane, type Plane } from "../../test/cluster/plane.js";

/** Runs fn with KUBENAP_TEST_KUBECONFIG pointing at a plane; stops the plane it started. */
export async function withPlane<T>(fn: (kubeconfig: string) => Promise<T>): Promise<T> {
  let plane: Plane | undefined;
  if (!process.env.KUBENAP_TEST_KUBECONFIG) {
    plane = await startPlane();
    process.env.KUBENAP_TEST_KUBECONFIG = plane.kubeconfig;
  }
  try {
    return await fn(process.env.KUBENAP_TEST_KUBECONFIG ?? "");
  } finally {
    await plane?.stop();
  }
}

/** The Node.js flags the container image runs KubeNap with (its Dockerfile's ENTRYPOINT). */
export function containerNodeFlags(dockerfile = "Dockerfile"): string[] {
  const m = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(dockerfile, "utf8"));
  const argv = m?.[1] ? (JSON.parse(m[1]) as unknown) : undefined;
  if (!Array.isArray(argv) || argv[0] !== "node" || !argv.includes("dist/cli.js"))
    throw new Error(`${dockerfile}: expected ENTRYPOINT ["node", ...flags, "dist/cli.js"]`);
  return (argv as string[]).slice(1, argv.indexOf("dist/cli.js"));
}

/** Peak resident set (VmHWM) and current RSS of a process, in MB, from /proc. */
export function memoryOf(pid: number): { peakMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return { peakMb: kb("VmHWM") / 1024, rssMb: kb("VmRSS") / 1024 };
}
