import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DECLARED_KEYS } from "../../../src/annotations/keys.js";

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

  it("documents every declared key in README.md", () => {
    const readme = readFileSync(join(process.cwd(), "README.md"), "utf8");
    const missing = [...DECLARED_KEYS].filter((k) => !readme.includes(`\`${k}\``));
    expect(missing).toEqual([]);
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
