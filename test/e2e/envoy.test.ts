// Acceptance 3 and 6 through the official Envoy binary running the istio plugin's Lua, in a bootstrap
// shaped like the Istio ingress gateway's (outbound|port||host clusters; ClusterIPs, so kube-proxy
// refuses the connection while the app is asleep, and Envoy answers 503).
import { readFileSync } from "node:fs";
import { browserJourney, curlJourney, postJourney } from "./helpers/journeys.js";
import { putToSleep } from "./helpers/apps.js";
import { setUpEnvoy, type SetupApp } from "./helpers/setups.js";
import { ingressSuite } from "./helpers/suite.js";
import { runInNetns } from "./helpers/world.js";

const APPS: SetupApp[] = [{ app: "web" }, { app: "slow", failFor: "10s" }];

describe("Envoy 1.40 running the istio plugin's Lua", () => {
  const suite = ingressSuite("e2e-envoy", setUpEnvoy, APPS);
  const entry = suite.entry;

  for (const a of APPS) {
    const what = a.failFor ? "app answering 503 for its first 10 s" : "app";
    it(`${what}: curl -L to the asleep app ends on the app's 200 for the original URL`, async () => {
      await curlJourney(entry(a.app));
    });
    it(`${what}: a POST with a body reaches the app with its method and body`, async () => {
      await postJourney(entry(a.app));
    });
    it(`${what}: headless Chromium lands on the app by itself`, async () => {
      await browserJourney(entry(a.app), await suite.browser(), `envoy-${a.app}`);
    });
  }

  it("the error Envoy had becomes KubeNap's answer: its status, Location and body, not Envoy's", async () => {
    const { host, port, namespace: ns } = entry("web");
    await putToSleep(ns, "web");
    const out = await runInNetns([
      "curl",
      "-sS",
      "-i",
      "--max-time",
      "60",
      "--resolve",
      `${host}:${port}:127.0.0.1`,
      `http://${host}:${port}/a/b?c=d`,
    ]);
    expect(out).toMatch(/^HTTP\/1\.1 307 /);
    expect(out).toMatch(/\r\nlocation: \/a\/b\?c=d\r\n/i);
    expect(out).toContain(`${ns}/web is ready`);
    expect(out).not.toMatch(/upstream connect error|no healthy upstream/);
  });

  it("the Lua ran without a script error in any of these journeys", () => {
    expect(
      readFileSync(suite.setup().log ?? "", "utf8")
        .split("\n")
        .filter((l) => l.includes("[lua]")),
    ).toEqual([]);
  });
});
