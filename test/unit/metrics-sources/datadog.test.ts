import { ConfigErrors, loadConfig } from "../../../src/config/config.js";
import { groupTags } from "../../../src/metrics-sources/datadog.js";
import { createSources } from "../../../src/metrics-sources/index.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { silentLogger } from "../helpers/logger.js";

const ctx = (argv: string[], env: Record<string, string> = {}) => ({
  config: loadConfig({ argv, env, hostname: "h", pid: 1 }),
  clock: new FakeClock(),
  logger: silentLogger(),
  ingresses: { list: () => [] },
});

describe("the Datadog source's configuration", () => {
  it.each<[string, [string, string] | undefined]>([
    ["sum:x{*} by {kube_namespace,kube_service}.as_count()", ["kube_namespace", "kube_service"]],
    ["sum:x{*} by { ns , svc, env }", ["ns", "svc"]],
    ["sum:x{*} by {kube_service}", undefined],
    ["sum:x{*}", undefined],
  ])("reads the grouping of %j", (q, tags) => {
    expect(groupTags(q)).toEqual(tags);
  });

  it("names the missing keys and a query without grouping, and never prints a key", () => {
    let err: unknown;
    try {
      createSources(
        ctx(["--metrics-source", "datadog", "--datadog-query", "sum:x{*}"], { DD_APP_KEY: "s3cr3t" }),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigErrors);
    const msg = (err as ConfigErrors).message;
    expect(msg).toContain("--datadog-api-key-file");
    expect(msg).toContain("$DD_API_KEY");
    expect(msg).toContain("--datadog-query");
    expect(msg).not.toContain("s3cr3t");
  });

  it("starts with keys from the environment", () => {
    const sources = createSources(ctx(["--metrics-source", "datadog"], { DD_API_KEY: "a", DD_APP_KEY: "b" }));
    expect([...sources.keys()]).toEqual(["datadog"]);
  });
});
