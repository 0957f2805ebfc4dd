// Load client of bench/steady.ts, run inside the e2e network namespace (plain JavaScript: no loader).
// Sends batches of GETs alternately to side A and side B (ABBA order, so a drift in machine load hits
// both alike) over keep-alive connections, `concurrency` in flight; records each request's latency.
// Bounded: `batches` per side and a deadline. Prints one JSON line: per side latencies, busy ms, statuses.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

const o = JSON.parse(process.argv[2] ?? "{}");
const sides = { a: o.a, b: o.b };
const agents = {
  a: new Agent({ keepAlive: true, maxSockets: o.concurrency }),
  b: new Agent({ keepAlive: true, maxSockets: o.concurrency }),
};
const out = { a: { lat: [], ms: 0, statuses: {} }, b: { lat: [], ms: 0, statuses: {} } };
const deadline = Date.now() + o.deadlineMs;

const one = (side) =>
  new Promise((resolve) => {
    const t = performance.now();
    const req = request(
      {
        host: "127.0.0.1",
        port: sides[side].port,
        path: o.path,
        agent: agents[side],
        headers: { Host: sides[side].host },
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          out[side].lat.push(performance.now() - t);
          out[side].statuses[res.statusCode] = (out[side].statuses[res.statusCode] ?? 0) + 1;
          resolve();
        });
      },
    );
    req.on("error", () => {
      out[side].statuses.error = (out[side].statuses.error ?? 0) + 1;
      resolve();
    });
    req.end();
  });

async function batch(side) {
  let left = o.batchSize;
  const t = performance.now();
  const lane = async () => {
    while (left-- > 0) await one(side);
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  out[side].ms += performance.now() - t;
}

// Warm-up: connections, JIT, caches on both sides (not recorded).
await batch("a");
await batch("b");
for (const s of ["a", "b"]) out[s] = { lat: [], ms: 0, statuses: {} };
let done = 0;
for (let i = 0; i < o.batches && Date.now() < deadline; i++) {
  for (const side of i % 2 === 0 ? ["a", "b"] : ["b", "a"]) await batch(side);
  done++;
}
agents.a.destroy();
agents.b.destroy();
process.stdout.write(`${JSON.stringify({ batches: done, ...out })}\n`);
