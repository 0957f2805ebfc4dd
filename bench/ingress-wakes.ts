// Consecutive wakes through each real ingress (see bench/lib/ingress-wakes.ts). Prints one line per ingress:
//   ingress-wakes: ingress=nginx wakes=30 final_200=30 p50_ms=… p99_ms=… max_ms=… redirects_max=…
// Needs root (it creates the e2e world: see test/README.md). Exits 1 if any wake did not end on the app's 200.
//   npm run bench -- ingress [nginx] [traefik] [envoy] [--wakes=30]
import { ingressWakes } from "./lib/ingress-wakes.js";

const args = process.argv.slice(2);
const wakes = Number(args.find((a) => a.startsWith("--wakes="))?.slice("--wakes=".length) ?? 30);
const chosen = args.filter((a) => !a.startsWith("--"));
const results = await ingressWakes(chosen.length ? chosen : ["nginx", "traefik", "envoy"], wakes);
for (const r of results) {
  console.log(
    `ingress-wakes: ingress=${r.ingress} wakes=${r.wakes} final_200=${r.final200} p50_ms=${r.p50Ms.toFixed(0)} p99_ms=${r.p99Ms.toFixed(0)} max_ms=${r.maxMs.toFixed(0)} redirects_max=${r.redirectsMax}`,
  );
  for (const b of r.bad.slice(0, 5)) console.log(`  not the app's 200: ${b}`);
}
process.exit(results.every((r) => r.final200 === r.wakes) ? 0 : 1);
