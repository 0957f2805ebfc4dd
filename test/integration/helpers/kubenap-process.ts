// A KubeNap process for tests that kill and restart it: the real runtime, with a static source
// (`--test-source idle`: no traffic in a day for every target) in place of a metrics backend.
import { hostname } from "node:os";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { loadKubeConfig, startRuntime } from "../../../src/main.js";
import type {
  ActivityResult,
  SourceTarget,
  TrafficMetricsSource,
} from "../../../src/metrics-sources/types.js";

class IdleSource implements TrafficMetricsSource {
  readonly kind = "test";
  lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
    return Promise.resolve(
      new Map(targets.map((t) => [`${t.namespace}/${t.name}`, { kind: "none", lookbackMs: 86_400_000 }])),
    );
  }
}

const cfg = loadConfig({ argv: process.argv.slice(2), env: {}, hostname: hostname(), pid: process.pid });
const logger = createLogger({ format: "json", level: cfg.logLevel });
const runtime = await startRuntime(cfg, loadKubeConfig(cfg.kubeconfig), logger, {
  sources: new Map([["test", new IdleSource()]]),
});
process.once(
  "SIGTERM",
  () =>
    void runtime
      .drain()
      .then(() => runtime.stop())
      .then(() => process.exit(0)),
);
