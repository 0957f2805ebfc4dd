import { hostname } from "node:os";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { startRuntime, type Runtime } from "../../../src/main.js";
import type { TrafficMetricsSource } from "../../../src/metrics-sources/types.js";
import { freePort } from "../../cluster/ports.js";
import { testKubeConfig } from "./kube.js";

/** Starts KubeNap in-process against the test plane, watching one namespace, with the given source. */
export async function startKubenap(
  namespace: string,
  source: TrafficMetricsSource,
  flags: string[] = [],
): Promise<Runtime> {
  const cfg = loadConfig({
    argv: [
      "--namespaces",
      namespace,
      "--metrics-source",
      source.kind,
      "--sweep-interval",
      "1s",
      "--lease-namespace",
      namespace,
      "--lease-duration",
      "4s",
      "--lease-retry",
      "500ms",
      "--wake-port",
      String(await freePort()),
      "--wake-address",
      "127.0.0.1",
      "--log-level",
      process.env.KUBENAP_TEST_LOG ?? "error",
      ...flags,
    ],
    env: {},
    hostname: hostname(),
    pid: process.pid,
  });
  const logger = createLogger({ format: "json", level: cfg.logLevel });
  return startRuntime(cfg, testKubeConfig(), logger, { sources: new Map([[source.kind, source]]) });
}
