import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DECLARED_KEYS, KEYS } from "../../../src/annotations/keys.js";
import { parsePolicy } from "../../../src/annotations/policy.js";
import { normalizeTable, README_SECTIONS, readmeSection } from "../../../src/docs/tables.js";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("the annotation contract", () => {
  it("declares every kubenap/* key that the code reads or writes", () => {
    const used = new Map<string, string>();
    for (const f of files(join(process.cwd(), "src"))) {
      for (const m of readFileSync(f, "utf8").matchAll(/["'`]kubenap\/([A-Za-z]+)["'`=]/g))
        used.set(`kubenap/${m[1]}`, f);
    }
    const undeclared = [...used].filter(([k]) => !DECLARED_KEYS.has(k));
    expect(undeclared).toEqual([]);
  });

  it("finds a key that the code uses but nobody declared (the scan itself works)", () => {
    const scan = (text: string): string[] =>
      [...text.matchAll(/["'`]kubenap\/([A-Za-z]+)["'`=]/g)].map((m) => `kubenap/${m[1]}`);
    expect(scan('const k = "kubenap/idleAftr";').filter((k) => !DECLARED_KEYS.has(k))).toEqual([
      "kubenap/idleAftr",
    ]);
  });

  it("parses every user-set key from its declared example", () => {
    for (const k of Object.values(KEYS)) {
      if (k.on !== "annotation") continue;
      const value = k.example.replace(/^"|"$/g, "");
      const r = parsePolicy({ [k.key]: value }, DEFAULTS, ["prometheus", "none"]);
      expect({ key: k.key, ok: r.ok }).toEqual({ key: k.key, ok: true });
    }
  });
});

const DEFAULTS = {
  idleAfterMs: 900_000,
  wakeTimeoutMs: 300_000,
  proxy: "nginx",
  metricsSource: "none",
} as const;

describe("README.md's generated tables (npm run docs)", () => {
  const readme = readFileSync(join(process.cwd(), "README.md"), "utf8");
  it.each(Object.keys(README_SECTIONS))("%s table matches the declarations", (name) => {
    const section = readmeSection(readme, name);
    expect(section).toBeDefined();
    expect(normalizeTable(section ?? "")).toEqual(normalizeTable(README_SECTIONS[name]?.() ?? ""));
  });
});

describe("the configuration options", () => {
  it("are all documented in README.md", async () => {
    const { OPTIONS } = await import("../../../src/config/options.js");
    const readme = readFileSync(join(process.cwd(), "README.md"), "utf8");
    const missing = Object.values(OPTIONS).filter(
      (o) => !readme.includes(`\`--${o.flag}\``) || !readme.includes(`\`${o.env}\``),
    );
    expect(missing).toEqual([]);
  });
});
