import { readFileSync } from "node:fs";
import type { CliIO } from "./io.js";
import { USAGES } from "./main.js";

/** The package's version (package.json two folders up from src/cli or dist/cli). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: string;
  };
  return pkg.version ?? "unknown";
}

export const version = {
  usage: USAGES.version ?? "",
  run: (_args: string[], io: CliIO): Promise<number> => {
    io.out(`kubenap ${packageVersion()} (node ${process.version})\n`);
    return Promise.resolve(0);
  },
};
