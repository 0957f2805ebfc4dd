// Regenerates README.md's annotation and option tables from the declarations, then formats it.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { renderReadme } from "../src/docs/tables.js";

const path = new URL("../README.md", import.meta.url);
writeFileSync(path, renderReadme(readFileSync(path, "utf8")));
execFileSync("npx", ["prettier", "--write", "README.md"], { stdio: "inherit" });
