import { hostname } from "node:os";
import { KEYS } from "../annotations/keys.js";
import { ConfigErrors, loadConfig } from "../config/config.js";
import { OPTIONS } from "../config/options.js";
import { createLogger } from "../log.js";
import { loadKubeConfig, startRuntime } from "../main.js";
import { SOURCE_KINDS } from "../metrics-sources/index.js";

/** `kubenap run --help`: every option and every annotation, from their single declarations. */
export const RUN_USAGE = `kubenap run [options]: the deployment monitor and the wake handler

Example:
  kubenap run --kubeconfig ~/.kube/config --metrics-source prometheus --prometheus-url http://prometheus:9090

Options (flag, environment variable, default). A YAML file given with --config or
KUBENAP_CONFIG may set the same options by camelCase name; flags win over env, env over file.
${Object.values(OPTIONS)
  .map((d) => `  --${d.flag.padEnd(18)} ${d.env.padEnd(28)} ${(d.default || '""').padEnd(16)} ${d.doc}`)
  .join("\n")}

Metrics sources: ${SOURCE_KINDS.join(", ")}

Deployment labels and annotations:
${Object.values(KEYS)
  .map(
    (k) =>
      `  ${k.key.padEnd(30)} ${k.on.padEnd(10)} ${k.writer === "user" ? "set by you" : "written by KubeNap"}: ${k.doc}`,
  )
  .join("\n")}
`;

/** Runs until SIGTERM/SIGINT; the exit code. */
export async function run(argv: string[]): Promise<number> {
  let cfg;
  try {
    cfg = loadConfig({ argv, env: process.env, hostname: hostname(), pid: process.pid });
  } catch (err) {
    if (err instanceof ConfigErrors) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (!(SOURCE_KINDS as string[]).includes(cfg.metricsSource)) {
    process.stderr.write(
      `invalid configuration: unknown metrics source "${cfg.metricsSource}"; available: ${SOURCE_KINDS.join(", ")}\n`,
    );
    return 2;
  }
  const logger = createLogger({ format: cfg.logFormat, level: cfg.logLevel });
  process.on("unhandledRejection", (reason) => {
    logger.error("unhandled rejection", {
      reason: reason instanceof Error ? reason.message : String(reason),
    });
  });
  let kc;
  try {
    kc = loadKubeConfig(cfg.kubeconfig);
  } catch (err) {
    process.stderr.write(
      `cannot load the kubeconfig${cfg.kubeconfig ? ` ${cfg.kubeconfig}` : ""}: ${(err as Error).message}\n`,
    );
    return 2;
  }
  let runtime;
  try {
    runtime = await startRuntime(cfg, kc, logger);
  } catch (err) {
    if (err instanceof ConfigErrors) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    logger.error("cannot start", { reason: (err as Error).message });
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info("stopping", { signal });
      // A second signal, or a shutdown that hangs past its bound, ends the process at once.
      const bound = setTimeout(() => {
        logger.error("shutdown took too long; exiting");
        process.exit(1);
      }, cfg.shutdownDelayMs + 20_000);
      bound.unref();
      process.once(signal, () => process.exit(1));
      void runtime
        .drain()
        .then(() => runtime.stop())
        .finally(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}
