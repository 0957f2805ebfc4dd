// For the benches' plain-JS children: this process's peak resident set (VmHWM), in MiB, from /proc.
// The most it was ever resident, start-up and sync included: what a memory limit must cover.
import { readFileSync } from "node:fs";

export function peakRssMb() {
  return Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? NaN) / 1024;
}
