import { hostname } from "node:os";
import { ConfigErrors, loadConfig } from "../config/config.js";
import { createLogger } from "../log.js";
import { loadKubeConfig, startRuntime } from "../main.js";
import { SOURCE_KINDS } from "../metrics-sources/index.js";

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
