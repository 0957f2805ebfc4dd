// The harness of kubenap-process.ts, in plain JavaScript on the built dist/ (no TypeScript loader):
// a KubeNap process that starts in about half the time, for tests that restart it many times.
// Same environment: KUBENAP_TEST_SOURCE, KUBENAP_TEST_SOURCE_FILE, KUBENAP_TEST_SOURCE_DELAY_MS.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { loadConfig } from "../../../dist/config/config.js";
import { createLogger } from "../../../dist/log.js";
import { loadKubeConfig, startRuntime } from "../../../dist/main.js";

const modeFile = process.env.KUBENAP_TEST_SOURCE_FILE;
const mode = () =>
  modeFile ? readFileSync(modeFile, "utf8").trim() : (process.env.KUBENAP_TEST_SOURCE ?? "idle");
const delayMs = Number(process.env.KUBENAP_TEST_SOURCE_DELAY_MS ?? "0");

const source = {
  kind: "test",
  async lastActivity(targets) {
    const m = mode();
    process.stdout.write(
      `${JSON.stringify({ message: "test source asked", mode: m, targets: targets.length })}\n`,
    );
    if (delayMs > 0) await delay(delayMs);
    const answer =
      m === "active" ? { kind: "seen", at: new Date() } : { kind: "none", lookbackMs: 86_400_000 };
    return new Map(targets.map((t) => [`${t.namespace}/${t.name}`, answer]));
  },
};

const cfg = loadConfig({ argv: process.argv.slice(2), env: {}, hostname: hostname(), pid: process.pid });
const logger = createLogger({ format: "json", level: cfg.logLevel });
const runtime = await startRuntime(cfg, loadKubeConfig(cfg.kubeconfig), logger, {
  sources: new Map([["test", source]]),
});
process.once(
  "SIGTERM",
  () =>
    void runtime
      .drain()
      .then(() => runtime.stop())
      .then(() => process.exit(0)),
);
