// npm run demo -- --kubeconfig FILE: installs the demo (demo/manifests.ts) into that cluster with
// kubectl, forwards a local port to its Traefik, and shows the same live view, fed by the Deployments
// and KubeNap's pod logs. Ctrl-C stops the port forward and the view; the demo stays installed.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { KubeConfig } from "@kubernetes/client-node";
import type { DemoArgs } from "./args.js";
import { DEMO_APPS, DEMO_NAMESPACE, curlCommand } from "./apps.js";
import { watchDeployments } from "./deployments.js";
import { parseKubenapLine } from "./kubenap-log.js";
import { clusterManifests } from "./manifests.js";
import { DemoModel } from "./model.js";
import { runStep, say } from "./progress.js";
import { Screen } from "./screen.js";
import { Stopper } from "./stopper.js";

/** Where the generated kustomization is written (git-ignored). */
export const clusterDir = (root: string): string => join(root, "demo", ".cluster");

/** Traefik's CRDs: from KUBENAP_SHARED_CRDS or ../shared/crds if present (this project's machines). */
function traefikCrdsFile(root: string): string | undefined {
  const dir = process.env.KUBENAP_SHARED_CRDS ?? join(root, "..", "shared", "crds");
  const f = join(dir, "traefik-crds.yaml");
  return existsSync(f) ? f : undefined;
}

/** A child that runs until stopped (kubectl port-forward, kubectl logs -f); its errors reach `onError`. */
function background(
  argv: string[],
  onError: (l: string) => void,
  onLine?: (l: string) => void,
): ChildProcess {
  const child = spawn(argv[0] ?? "kubectl", argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  if (onLine && child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
  child.stdout?.resume();
  if (child.stderr) createInterface({ input: child.stderr }).on("line", onError);
  child.once("exit", (code, signal) => {
    if (signal === null) onError(`exited with ${code}`);
  });
  return child;
}

const stopChild = (c: ChildProcess) => (): Promise<void> =>
  new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once("exit", () => resolve());
    c.kill("SIGTERM");
  });

/** Installs the demo into the cluster and runs the live view until a signal. */
export async function runCluster(root: string, args: DemoArgs): Promise<number> {
  const kubeconfig = args.kubeconfig ?? "";
  if (!existsSync(kubeconfig)) throw new Error(`kubeconfig ${kubeconfig} does not exist`);
  if (spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status !== 0)
    throw new Error("--kubeconfig needs kubectl on the PATH");
  const kubectl = (...a: string[]): string[] => ["kubectl", "--kubeconfig", kubeconfig, ...a];

  const out = clusterDir(root);
  mkdirSync(out, { recursive: true });
  for (const [name, content] of clusterManifests(join(root, "deploy"), out, args.image))
    writeFileSync(join(out, name), content);
  say(`KubeNap demo for the cluster of ${kubeconfig}; manifests in ${out}`);
  say(
    `KubeNap's image ${args.image} must be in the cluster: build it from this repository and load it, e.g.`,
  );
  say(`  docker build -t ${args.image} . && kind load docker-image ${args.image}`);

  const hasCrds =
    spawnSync("kubectl", kubectl("get", "crd", "middlewares.traefik.io").slice(1), { stdio: "ignore" })
      .status === 0;
  if (!hasCrds) {
    const crds = traefikCrdsFile(root);
    if (!crds)
      throw new Error(
        "Traefik's CRDs (traefik.io) are not installed in that cluster: install them first (Traefik's Helm chart does, or apply Traefik's kubernetes-crd-definition-v1.yml), then run again",
      );
    await runStep("Traefik's CRDs", kubectl("apply", "--server-side", "-f", crds));
  }
  await runStep(
    "kubectl apply -k (KubeNap from deploy/, Traefik, Prometheus, the sample apps)",
    kubectl("apply", "-k", out),
    {
      echoStdout: true,
    },
  );
  await runStep(
    "waiting for the Deployments to be available (pulls images the first time)",
    kubectl("wait", "--for=condition=Available", "--timeout=5m", "-n", DEMO_NAMESPACE, "deployment", "--all"),
    { echoStdout: true },
  );
  await runStep(
    "waiting for KubeNap",
    kubectl("wait", "--for=condition=Available", "--timeout=3m", "-n", "kubenap", "deployment/kubenap"),
    { echoStdout: true },
  );

  const model = new DemoModel(DEMO_APPS.map((a) => `${DEMO_NAMESPACE}/${a.name}`));
  const screen = new Screen(process.stdout, model);
  let live = false;
  const redraw = (): void => {
    if (live) screen.draw(Date.now());
  };
  const stopper = new Stopper(say);
  const problem =
    (what: string) =>
    (line: string): void => {
      model.notice(Date.now(), `${what}: ${line}`);
      redraw();
    };
  const forward = background(
    kubectl("port-forward", "-n", DEMO_NAMESPACE, "svc/traefik", `${args.port}:80`),
    problem("kubectl port-forward"),
  );
  stopper.add("kubectl port-forward", stopChild(forward));
  const logs = background(
    kubectl(
      "logs",
      "-f",
      "-n",
      "kubenap",
      "-l",
      "app.kubernetes.io/name=kubenap",
      "--tail=0",
      "--max-log-requests=10",
    ),
    problem("kubectl logs"),
    (line) => {
      const ev = parseKubenapLine(line, Date.now());
      if (ev) {
        model.onKubenap(ev);
        redraw();
      }
    },
  );
  stopper.add("kubectl logs", stopChild(logs));
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const watch = await watchDeployments(kc, DEMO_NAMESPACE, (d) => {
    model.onDeployment(d);
    redraw();
  });
  stopper.add("the view", () => Promise.resolve(watch.stop()));
  say("");
  for (const a of DEMO_APPS) say(`  ${a.name.padEnd(6)} ${curlCommand(a, args.port)}`);
  say("");
  say(
    "Each app sleeps after 30 s without traffic. Ctrl-C stops the port forward and this view; the demo stays",
  );
  say(`installed: remove it with  kubectl --kubeconfig ${kubeconfig} delete -k ${out}`);
  say("");
  live = true;
  const tick = setInterval(redraw, 1_000);
  stopper.add("the clock", () => Promise.resolve(clearInterval(tick)));
  return new Promise<number>((resolve) => {
    const onSignal = (signal: string): void => {
      if (stopper.stopping) return;
      live = false;
      screen.release();
      say(`\n${signal}: stopping`);
      void stopper.stopAll().then(() => resolve(0));
    };
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => onSignal(s));
  });
}
