// `npm run bench -- NAME [args]`: runs one benchmark by name (default: wake).
const BENCHES: Record<string, string> = {
  herd: "./herd.ts",
  ingress: "./ingress-wakes.ts",
  logs: "./logs.ts",
  peer: "./peer.ts",
  scale: "./scale.ts",
  steady: "./steady.ts",
  wake: "./wake-latency.ts",
  "wake-memory": "./wake-memory.ts",
  "wake-throughput": "./wake-throughput.ts",
};

const name = process.argv[2] && !/^\d/.test(process.argv[2]) ? process.argv[2] : "wake";
const file = BENCHES[name];
if (!file) {
  process.stderr.write(`unknown benchmark "${name}"; available: ${Object.keys(BENCHES).join(", ")}\n`);
  process.exit(2);
}
// Each benchmark reads its own arguments from process.argv[2…].
if (process.argv[2] === name) process.argv.splice(2, 1);
await import(file);
