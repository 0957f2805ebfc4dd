import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { renderExamples } from "../../../examples/generate.js";

const EXAMPLES = join(process.cwd(), "examples");

describe("examples/", () => {
  const rendered = renderExamples();

  it("holds exactly what the plugins render (run `npm run examples` after changing a plugin)", () => {
    for (const [path, content] of rendered) {
      expect({ path, content: readFileSync(join(EXAMPLES, path), "utf8") }).toEqual({ path, content });
    }
  });

  it("has no stale file the generator no longer writes", () => {
    const onDisk = readdirSync(EXAMPLES, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name !== "generate.ts")
      .map((e) => join(e.parentPath, e.name).slice(EXAMPLES.length + 1))
      .sort();
    expect(onDisk).toEqual([...rendered.keys()].sort());
  });
});
