// What a stopped or killed demo must not leave behind: network namespaces (its own `kubenap-demo-<pid>`
// and the pod agent's `knp<pid>-<n>`) and processes of its plane.
import { execFileSync } from "node:child_process";
import { deleteNetns } from "../test/cluster/netns.js";
import { NETNS_PREFIXES } from "../test/e2e/world.js";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Network namespace names (`ip netns list`). */
export function netnsNames(): string[] {
  try {
    return execFileSync("ip", ["netns", "list"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")
      .map((l) => l.split(" ")[0] ?? "")
      .filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Of the given names, those a world or pod agent made (`<prefix><pid>…`) whose process is gone. Pure
 * but for the liveness check, which is passed in for tests.
 */
export function staleNetns(
  names: readonly string[],
  isAlive: (pid: number) => boolean = alive,
  prefixes: readonly string[] = NETNS_PREFIXES,
): string[] {
  return names.filter((name) => {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (!prefix) return false;
    const pid = Number(/^\d+/.exec(name.slice(prefix.length))?.[0] ?? "NaN");
    return Number.isInteger(pid) && !isAlive(pid);
  });
}

/** Deletes stale namespaces; returns their names. */
export function removeStaleNetns(): string[] {
  const stale = staleNetns(netnsNames());
  for (const n of stale) deleteNetns(n);
  return stale;
}

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
