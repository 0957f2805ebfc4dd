import { VersionApi, type KubeConfig } from "@kubernetes/client-node";
import { apiError, client } from "../kube.js";
import { fail, pass, type Check } from "./check.js";

/** Skew beyond which sleep times and wake records disagree noticeably between KubeNap and the cluster. */
export const MAX_SKEW_MS = 5_000;

/**
 * Asks the API server for its version (which also proves it is reachable: an unreachable cluster throws
 * a one-line CliError) and compares its Date header with the local clock at the request's midpoint.
 */
export async function clockCheck(kc: KubeConfig): Promise<Check> {
  const before = Date.now();
  let date: string | undefined;
  try {
    const r = await client(kc, VersionApi).getCodeWithHttpInfo();
    date = r.headers.date ?? r.headers.Date;
  } catch (err) {
    throw apiError(err, kc, "read the API server's version");
  }
  const after = Date.now();
  const what = "clock skew against the API server";
  const server = date ? Date.parse(date) : NaN;
  if (Number.isNaN(server)) return pass(`${what}: not checked (the API server sent no Date header)`);
  // Date has a resolution of one second: the server's time lies in [server, server + 1 s).
  const local = (before + after) / 2;
  const skew = local > server + 1000 ? local - (server + 1000) : local < server ? server - local : 0;
  const text = `${(skew / 1000).toFixed(1)} s`;
  return skew <= MAX_SKEW_MS
    ? pass(`${what} (${text})`)
    : fail(
        what,
        `this machine's clock is ${text} ${local > server ? "ahead of" : "behind"} the API server's (more than ${MAX_SKEW_MS / 1000} s)`,
        "synchronise both clocks with NTP (e.g. systemd-timesyncd or chrony)",
      );
}
