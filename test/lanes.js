#!/usr/bin/env node
// `npm test`: runs the jest projects in parallel lanes, each a jest process of its own with its own control
// plane or e2e world (they start on free ports and in their own network namespaces). Most of the suite
// waits on real processes (sweeps, wakes, ingresses), not on the CPU, so lanes cut the wall time of
// `.ci/run` roughly by their number. Within a lane, files run one at a time (--runInBand).
//
// A lane names test paths (regular expressions, as jest takes them) or, with `rest`, takes every file of
// its project that no other lane of that project names, so a new test folder always runs somewhere.
// A lane marked `last` starts once every other lane has ended.
// Extra arguments go to every lane: `npm test -- -t "wakes"`.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** @typedef {{ name: string, projects: string[], paths?: string[], rest?: boolean, last?: boolean }} Lane */

/** @type {Lane[]} */
const LANES = [
  { name: "e2e-loop", projects: ["e2e"], paths: ["test/e2e/loop\\.test\\.ts"] },
  { name: "e2e-traefik", projects: ["e2e"], paths: ["test/e2e/traefik\\.test\\.ts"] },
  { name: "e2e", projects: ["e2e"], rest: true },
  { name: "unit+wake", projects: ["unit", "integration"], paths: ["test/unit/", "test/integration/wake/"] },
  { name: "sources", projects: ["integration"], paths: ["test/integration/sources/"] },
  { name: "integration", projects: ["integration"], rest: true },
  // Its tests SIGKILL and restart processes through many cycles of the plane's controllers, each bounded
  // at two minutes (issue 12). Under the other six lanes a cycle took 3–8 s instead of 1.5 s, and the
  // 20-cycle test came within a second of its bound; so it starts when the other lanes are done.
  {
    name: "reliability",
    projects: ["integration"],
    paths: ["test/integration/reliability/"],
    last: true,
  },
];

/** The jest arguments of one lane. */
export function laneArgs(lane, lanes = LANES) {
  const args = lane.projects.flatMap((p) => ["--selectProjects", p]);
  if (lane.rest) {
    const others = lanes.filter((l) => l !== lane && l.projects.some((p) => lane.projects.includes(p)));
    for (const path of others.flatMap((l) => l.paths ?? [])) args.push("--testPathIgnorePatterns", path);
    args.push("--testPathIgnorePatterns", "/node_modules/");
  } else {
    for (const path of lane.paths ?? []) args.push("--testPathPatterns", path);
  }
  return args;
}

const T0 = Date.now();

function runLane(lane, extra) {
  const started = Date.now();
  const argv = [
    "--experimental-vm-modules",
    "node_modules/jest/bin/jest.js",
    "--runInBand",
    "--forceExit",
    "--passWithNoTests",
    ...laneArgs(lane),
    ...extra,
  ];
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"], env: process.env });
  const summary = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      if (/^(Tests|Test Suites):/.test(line)) summary.push(line);
      process.stdout.write(`[${lane.name}] ${line}\n`);
    });
  }
  return {
    child,
    done: new Promise((resolve) => {
      child.once("exit", (code, signal) =>
        resolve({
          lane: lane.name,
          code: code ?? 1,
          signal,
          seconds: (Date.now() - started) / 1000,
          startedAt: (started - T0) / 1000,
          summary,
        }),
      );
    }),
  };
}

async function main() {
  const extra = process.argv.slice(2);
  const only = process.env.KUBENAP_TEST_LANES?.split(",").filter(Boolean);
  const lanes = only ? LANES.filter((l) => only.includes(l.name)) : LANES;
  /** @type {Set<import("node:child_process").ChildProcess>} */
  const children = new Set();
  let stopping = false;
  const forward = (signal) => {
    stopping = true;
    children.forEach((c) => c.kill(signal));
  };
  process.once("SIGINT", () => forward("SIGINT"));
  process.once("SIGTERM", () => forward("SIGTERM"));
  const start = (lane) => {
    if (stopping)
      return Promise.resolve({
        lane: lane.name,
        code: 1,
        signal: "SIGINT",
        seconds: 0,
        startedAt: 0,
        summary: [],
      });
    const run = runLane(lane, extra);
    children.add(run.child);
    return run.done;
  };
  // The `last` lanes start once the others have ended, whatever their result.
  const first = await Promise.all(lanes.filter((l) => !l.last).map(start));
  const results = [...first, ...(await Promise.all(lanes.filter((l) => l.last).map(start)))];
  process.stdout.write("\nlanes:\n");
  for (const r of results) {
    const status = r.code === 0 ? "ok" : `FAILED (${r.signal ?? `exit ${r.code}`})`;
    process.stdout.write(
      `  ${r.lane.padEnd(12)} ${status.padEnd(18)} ${r.seconds.toFixed(0).padStart(5)} s` +
        (r.startedAt >= 1 ? ` (started at ${r.startedAt.toFixed(0)} s)\n` : "\n"),
    );
    for (const line of r.summary) process.stdout.write(`    ${line}\n`);
  }
  process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
