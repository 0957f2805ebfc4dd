import { hostname } from "node:os";
import type { PolicyDefaults } from "../annotations/policy.js";
import { ConfigErrors, loadConfig, type Config } from "../config/config.js";
import { SOURCE_KINDS } from "../metrics-sources/index.js";
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
