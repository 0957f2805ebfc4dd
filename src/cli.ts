#!/usr/bin/env node
// The `kubenap` command (package.json bin): subcommands live in src/cli/.
import { processIO } from "./cli/io.js";
import { main } from "./cli/main.js";

process.exitCode = await main(process.argv.slice(2), processIO());
