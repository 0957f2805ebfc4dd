import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { sleepAnnotations, wakeAnnotations } from "../annotations/writes.js";
import { KEYS } from "../annotations/keys.js";
import { DeploymentScaler } from "../k8s/deployments.js";
import { parseDuration } from "../duration.js";
import { appServices } from "../proxy-plugins/index.js";
import { parseLenient } from "../wake/lenient-policy.js";
import { appRef, KUBE_FLAGS, parse } from "./args.js";
import { policyDefaults, runConfig } from "./config.js";
import { CliError, paint, type CliIO } from "./io.js";
import { apiError, client, kubeConfig, readApp } from "./kube.js";
import { USAGES } from "./main.js";
import { waitReady } from "./ready-watch.js";
import { progress } from "./progress.js";

const ONE_APP = { min: 1, max: 1, names: "<namespace>/<name>" };

export const sleep = {
  usage: USAGES.sleep ?? "",
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, { ...KUBE_FLAGS, config: { type: "string" } }, ONE_APP);
    const ref = appRef(positionals[0]);
    const kc = kubeConfig(values);
    const dep = await readApp(kc, ref);
    const key = `${ref.namespace}/${ref.name}`;
    const replicas = dep.spec?.replicas ?? 1;
    if (replicas === 0) {
      io.out(`${key} is already asleep (0 replicas)\n`);
      return 0;
    }
    const { defaults, sourceKinds } = policyDefaults(runConfig(values.config, io.env));
    const { policy } = parseLenient(dep.metadata?.annotations, defaults, sourceKinds);
    const { annotations, restore } = sleepAnnotations(replicas, policy, Date.now());
    let outcome;
    try {
      outcome = await new DeploymentScaler(client(kc, AppsV1Api)).sleep(dep, annotations);
    } catch (err) {
      throw apiError(err, kc, `scale deployment ${key}`);
    }
    if (outcome === "conflict")
      throw new CliError(`${key} changed while it was being put to sleep; try again`);
    io.out(
      `${paint(io, "green", "✓")} ${key} asleep: scaled ${replicas} → 0 replicas; a wake restores ${restore}\n`,
    );
    return 0;
  },
};

export const wake = {
  usage: USAGES.wake ?? "",
  async run(args: string[], io: CliIO): Promise<number> {
    const flags = { ...KUBE_FLAGS, config: { type: "string" }, timeout: { type: "string" } } as const;
    const { values, positionals } = parse(args, flags, ONE_APP);
    const ref = appRef(positionals[0]);
    const kc = kubeConfig(values);
    const cfg = runConfig(values.config, io.env);
    const timeoutMs = values.timeout === undefined ? cfg.wakeTimeoutMs : parseDuration(values.timeout);
    if (timeoutMs === null || timeoutMs <= 0)
      throw new CliError(`--timeout expects a duration such as 90s or 2m, got "${values.timeout}"`, 2);
    const dep = await readApp(kc, ref);
    const key = `${ref.namespace}/${ref.name}`;
    const { defaults, sourceKinds } = policyDefaults(cfg);
    const started = Date.now();
    const show = progress(io, `waking ${key}`);
    try {
      const scaler = new DeploymentScaler(client(kc, AppsV1Api));
      const { scaled, deployment } = await scaler
        .wake(
          ref.namespace,
          ref.name,
          (d) => parseLenient(d.metadata?.annotations, defaults, sourceKinds).policy.replicaCount ?? 1,
        )
        .catch((err: unknown) => {
          throw apiError(err, kc, `scale deployment ${key}`);
        });
      const replicas = deployment.spec?.replicas ?? 0;
      show.step(scaled ? `scaled to ${replicas} replicas` : `already at ${replicas} replicas`);
      const service = await serviceOf(kc, dep);
      show.step(
        service ? `waiting for a ready endpoint of Service ${service}` : "waiting for an available replica",
      );
      await waitReady(kc, { ...ref, ...(service && { service }), timeoutMs }).catch((err: unknown) => {
        throw new CliError(`${key} ${(err as Error).message}`);
      });
      const unrecorded = deployment.metadata?.annotations?.[KEYS.state.key] === "asleep";
      if (scaled || unrecorded)
        await scaler.annotate(ref.namespace, ref.name, wakeAnnotations(Date.now())).catch((err: unknown) => {
          throw apiError(err, kc, `record the wake of ${key}`);
        });
      show.done(`${paint(io, "green", "✓")} ${key} woke in ${Date.now() - started} ms`);
      return 0;
    } catch (err) {
      show.fail();
      throw err;
    }
  },
};

/** The app's readiness Service: kubenap/service, else the single one selecting its pods. */
async function serviceOf(kc: KubeConfig, dep: V1Deployment): Promise<string | undefined> {
  const namespace = dep.metadata?.namespace ?? "";
  let items;
  try {
    items = (await client(kc, CoreV1Api).listNamespacedService({ namespace })).items;
  } catch (err) {
    throw apiError(err, kc, `list the Services of ${namespace}`);
  }
  const found = appServices(dep, items);
  return found.length === 1 ? found[0]?.metadata?.name : undefined;
}
