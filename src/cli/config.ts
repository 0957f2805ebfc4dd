import { hostname } from "node:os";
import type { V1Ingress } from "@kubernetes/client-node";
import winston from "winston";
import type { PolicyDefaults } from "../annotations/policy.js";
import { ConfigErrors, loadConfig, type Config } from "../config/config.js";
import { systemClock } from "../clock.js";
import { formatDuration } from "../duration.js";
import { createSources, SOURCE_KINDS } from "../metrics-sources/index.js";
import type { TrafficMetricsSource } from "../metrics-sources/types.js";
import { CliError } from "./io.js";

/** KubeNap's configuration as `kubenap run` would load it (--config FILE, KUBENAP_* variables). */
export function runConfig(file: string | undefined, env: NodeJS.ProcessEnv): Readonly<Config> {
  try {
    return loadConfig({ argv: file ? ["--config", file] : [], env, hostname: hostname(), pid: process.pid });
  } catch (err) {
    if (err instanceof ConfigErrors) throw new CliError(err.message, 2);
    throw err;
  }
}

/** The annotation defaults of a configuration, and the source kinds a Deployment may name. */
export function policyDefaults(cfg: Readonly<Config>): { defaults: PolicyDefaults; sourceKinds: string[] } {
  return {
    defaults: {
      idleAfterMs: cfg.idleAfterMs,
      wakeTimeoutMs: cfg.wakeTimeoutMs,
      proxy: cfg.proxy,
      metricsSource: cfg.metricsSource,
    },
    sourceKinds: [...SOURCE_KINDS],
  };
}

/** The configured metrics sources as `kubenap run` builds them, logging nothing (a command prints its own lines). */
export function cliSources(cfg: Readonly<Config>, ingresses: V1Ingress[]): Map<string, TrafficMetricsSource> {
  return createSources({
    config: cfg,
    clock: systemClock,
    logger: winston.createLogger({ silent: true, transports: [new winston.transports.Console()] }),
    ingresses: { list: () => ingresses },
  });
}

/** The promise, or "no answer within …" after ms. */
export function deadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${formatDuration(ms)}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
