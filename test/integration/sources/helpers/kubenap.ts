import { hostname } from "node:os";
import { loadConfig } from "../../../../src/config/config.js";
import { createLogger } from "../../../../src/log.js";
import { startRuntime, type Runtime } from "../../../../src/main.js";
import { testKubeConfig } from "../../helpers/kube.js";

/**
 * Starts KubeNap in-process against the test plane, configured only by flags (and environment), as
 * a user would: the sources are the ones the configuration builds.
 */
export async function startConfigured(
  namespace: string,
  flags: string[],
  env: Record<string, string> = {},
): Promise<Runtime> {
  const cfg = loadConfig({
    argv: [
      "--namespaces",
      namespace,
      "--sweep-interval",
      "1s",
      "--leader-election",
      "false",
      "--wake-port",
      "0",
      "--log-level",
      process.env.KUBENAP_TEST_LOG ?? "error",
      ...flags,
    ],
    env,
    hostname: hostname(),
    pid: process.pid,
  });
  const logger = createLogger({ format: "json", level: cfg.logLevel });
  return startRuntime(cfg, testKubeConfig(), logger);
}
