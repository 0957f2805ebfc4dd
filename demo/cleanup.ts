// What a stopped or killed demo must not leave behind: network namespaces (its own `kubenap-demo-<pid>`
// and the pod agent's `knp<pid>-<n>`) and processes of its plane.
import { execFileSync } from "node:child_process";
import { deleteStaleNetns } from "../test/cluster/netns.js";
import { NETNS_PREFIXES } from "../test/e2e/world.js";

export { netnsNames } from "../test/cluster/netns.js";

/** Deletes the namespaces of runs whose process is gone; returns their names. */
export const removeStaleNetns = (): string[] => deleteStaleNetns(NETNS_PREFIXES);

/** Command lines of running processes that mention `needle` (e.g. the plane's folder). */
export function processesMentioning(needle: string): string[] {
  try {
    return execFileSync("pgrep", ["-fa", "--", needle], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    })
      .split("\n")
      .filter((l) => l && !l.startsWith(`${process.pid} `));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
