// npm run demo: KubeNap on an embedded cluster (or, with --kubeconfig, installed into a real one), with a
// live view of what it does. See DEMO_USAGE in args.ts.
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig } from "@kubernetes/client-node";
import { DEMO_USAGE, parseDemoArgs, type DemoArgs } from "./args.js";
import { DEMO_APPS, DEMO_NAMESPACE, curlCommand } from "./apps.js";
import { netnsNames, processesMentioning, removeStaleNetns } from "./cleanup.js";
import { runCluster } from "./cluster.js";
import { watchDeployments } from "./deployments.js";
import { parseKubenapLine } from "./kubenap-log.js";
import { startLocalDemo } from "./local.js";
import { DemoModel } from "./model.js";
import { ensurePrerequisites } from "./prereqs.js";
import { say } from "./progress.js";
import { Screen } from "./screen.js";
import { Stopper } from "./stopper.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

// A closed terminal (SIGHUP) must not turn the clean-up into a crash.
for (const s of [process.stdout, process.stderr]) s.on("error", () => undefined);

/** Whether the port can be bound on 127.0.0.1. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

async function pickPort(args: DemoArgs): Promise<number> {
  if (await portFree(args.port)) return args.port;
  if (args.portGiven) throw new Error(`port ${args.port} on 127.0.0.1 is taken; pick another with --port`);
  say(`  port ${args.port} is taken; using a free one`);
  return 0;
}

function clean(): void {
  const removed = removeStaleNetns();
  say(
    removed.length
      ? `removed network namespaces left by killed runs: ${removed.join(", ")}`
      : "nothing to clean: no network namespace of a killed demo is left",
  );
}

function banner(port: number, netns: string): void {
  say("");
  say(`KubeNap demo: the cluster runs in network namespace ${netns} (no route out); the apps answer here:`);
  say("");
  for (const a of DEMO_APPS)
    say(`  ${a.name.padEnd(6)} ${curlCommand(a, port).padEnd(40)} or open http://127.0.0.1:${port}${a.path}`);
  say("");
  say(
    "Each app sleeps after 30 s without traffic, as KubeNap reads Traefik's request counters in Prometheus.",
  );
  say("A request to an asleep app reaches KubeNap through Traefik's errors middleware: it wakes the app and");
  say("redirects back (307). Ctrl-C stops everything.");
  say("");
}

async function runLocal(args: DemoArgs): Promise<number> {
  say("KubeNap demo: preparing (the first run builds the control plane; later runs reuse it)");
  await ensurePrerequisites(ROOT);
  const removed = removeStaleNetns();
  if (removed.length) say(`✓ removed network namespaces left by a killed run: ${removed.join(", ")}`);
  const port = await pickPort(args);

  const keys = DEMO_APPS.map((a) => `${DEMO_NAMESPACE}/${a.name}`);
  const model = new DemoModel(keys);
  const screen = new Screen(process.stdout, model);
  let live = false;
  const redraw = (): void => {
    if (live) screen.draw(Date.now());
  };
  const stopper = new Stopper(say);
  let planeDir = "";
  let netns = "";
  const finished = new Promise<number>((resolve) => {
    const onSignal = (signal: string): void => {
      if (stopper.stopping) return;
      live = false;
      screen.release();
      say(`\n${signal}: stopping everything the demo started`);
      // Keeps the process alive until the clean-up is done, even if every other handle is gone.
      const keepAlive = setInterval(() => undefined, 1_000);
      void stopper.stopAll().then(() => {
        clearInterval(keepAlive);
        // The pod agent's namespaces are removed by the agent; sweep any a hard kill left.
        removeStaleNetns();
        const left = [
          ...(planeDir ? processesMentioning(planeDir) : []),
          ...(netns ? processesMentioning(netns) : []),
        ];
        const nsLeft = netnsNames().filter((n) => n === netns);
        if (left.length || nsLeft.length) {
          say(`✗ still there: ${[...left, ...nsLeft].join("; ")}`);
          resolve(1);
        } else {
          say(
            `✓ stopped: no process of the demo's cluster is running, network namespace ${netns || "(none)"} is gone`,
          );
          resolve(0);
        }
      });
    };
    for (const s of SIGNALS) process.on(s, () => onSignal(s));
  });

  const onLine = (line: string): void => {
    const ev = parseKubenapLine(line, Date.now());
    if (!ev) return;
    model.onKubenap(ev);
    redraw();
  };
  try {
    const demo = await startLocalDemo(ROOT, port, onLine, stopper);
    netns = demo.netns;
    planeDir = demo.logs[0]?.replace(/\/logs$/, "") ?? "";
    const kc = new KubeConfig();
    kc.loadFromFile(demo.kubeconfig);
    const watch = await watchDeployments(kc, DEMO_NAMESPACE, (d) => {
      model.onDeployment(d);
      redraw();
    });
    stopper.add("the view", () => Promise.resolve(watch.stop()));
    banner(demo.port, demo.netns);
    say(`Logs: ${demo.logs.join(" and ")}`);
    say("");
    live = true;
    const tick = setInterval(redraw, 1_000);
    stopper.add("the clock", () => Promise.resolve(clearInterval(tick)));
    redraw();
  } catch (err) {
    if (!stopper.stopping) {
      say(`✗ ${(err as Error).message}`);
      await stopper.stopAll();
      removeStaleNetns();
      return 1;
    }
  }
  return finished;
}

async function main(): Promise<number> {
  let args: DemoArgs;
  try {
    args = parseDemoArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  try {
    if (args.clean) {
      clean();
      return 0;
    }
    if (args.kubeconfig !== undefined) return await runCluster(ROOT, args);
    return await runLocal(args);
  } catch (err) {
    say(`✗ ${(err as Error).message}`);
    return 1;
  }
}

process.exit(await main());
