import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/config.js";
import { SECRET_ENV } from "../../../src/config/options.js";
import { createSources } from "../../../src/metrics-sources/index.js";
import { expandFlux } from "../../../src/metrics-sources/influxdb.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { silentLogger } from "../helpers/logger.js";

const ctx = (argv: string[]) => ({
  config: loadConfig({ argv, env: {}, hostname: "h", pid: 1 }),
  clock: new FakeClock(),
  logger: silentLogger(),
  ingresses: { list: () => [] },
});
const t = { namespace: "shop", name: "cart", idleAfterMs: 60_000 };

describe("the InfluxDB source", () => {
  it.each<[string, { text?: string; reason?: RegExp }]>([
    [
      'from(bucket: "b") |> range(start: {start}) |> filter(fn: (r) => r.ns == "{namespace}" and r.svc == "{service}")',
      {
        text: 'from(bucket: "b") |> range(start: -90s) |> filter(fn: (r) => r.ns == "shop" and r.svc == "cart")',
      },
    ],
    ['from(bucket: "b") |> range(start: -1h)', { reason: /must use range\(start: \{start\}\)/ }],
    [
      'from(bucket: "b") |> range(start: {start}) |> filter(fn: (r) => r.x == "{pod}")',
      { reason: /unknown placeholder \{pod\}/ },
    ],
    [
      'from(bucket: "b") |> range(start: {start}) |> filter(fn: (r) => r.x == "{ingress}")',
      { reason: /no kubenap\/ingress/ },
    ],
  ])("expands %j", (template, expected) => {
    const e = expandFlux(template, t, "-90s");
    if (expected.text) expect(e).toEqual({ text: expected.text });
    else expect(e.reason).toMatch(expected.reason ?? /./);
  });

  it("names its missing options at start-up", () => {
    expect(() => createSources(ctx(["--metrics-source", "influxdb"]))).toThrow(
      /--influxdb-url="": required[\s\S]*--influxdb-bucket="": required/,
    );
    expect([
      ...createSources(
        ctx([
          "--metrics-source",
          "influxdb",
          "--influxdb-url",
          "http://127.0.0.1:8086",
          "--influxdb-bucket",
          "b",
        ]),
      ).keys(),
    ]).toEqual(["influxdb"]);
  });
});

describe("secrets", () => {
  it("are all documented in README.md", () => {
    const readme = readFileSync(join(process.cwd(), "README.md"), "utf8");
    expect(Object.values(SECRET_ENV).filter((s) => !readme.includes(`\`${s.env}\``))).toEqual([]);
  });
});
