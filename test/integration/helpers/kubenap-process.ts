// A KubeNap process for tests that kill and restart it: the real runtime, with a static source in
// place of a metrics backend. KUBENAP_TEST_SOURCE=idle (default: no traffic in a day for every
// target) or active (traffic just now), or KUBENAP_TEST_SOURCE_FILE names a file holding that word,
// read at each call; KUBENAP_TEST_SOURCE_DELAY_MS makes each answer take that long.
// Each call logs {"message":"test source asked"} first, so a test can act mid-sweep.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { loadKubeConfig, startRuntime } from "../../../src/main.js";
import type {
  ActivityResult,
  SourceTarget,
  TrafficMetricsSource,
} from "../../../src/metrics-sources/types.js";

const modeFile = process.env.KUBENAP_TEST_SOURCE_FILE;
const mode = (): string =>
  modeFile ? readFileSync(modeFile, "utf8").trim() : (process.env.KUBENAP_TEST_SOURCE ?? "idle");
const delayMs = Number(process.env.KUBENAP_TEST_SOURCE_DELAY_MS ?? "0");

class StaticSource implements TrafficMetricsSource {
  readonly kind = "test";
  async lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
    const m = mode();
    process.stdout.write(
      `${JSON.stringify({ message: "test source asked", mode: m, targets: targets.length })}\n`,
    );
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    const answer: ActivityResult =
      m === "active" ? { kind: "seen", at: new Date() } : { kind: "none", lookbackMs: 86_400_000 };
    return new Map(targets.map((t) => [`${t.namespace}/${t.name}`, answer]));
  }
}

const cfg = loadConfig({ argv: process.argv.slice(2), env: {}, hostname: hostname(), pid: process.pid });
const logger = createLogger({ format: "json", level: cfg.logLevel });
const runtime = await startRuntime(cfg, loadKubeConfig(cfg.kubeconfig), logger, {
  sources: new Map([["test", new StaticSource()]]),
});
process.once(
  "SIGTERM",
  () =>
    void runtime
      .drain()
      .then(() => runtime.stop())
      .then(() => process.exit(0)),
);
