import { AppsV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { KEYS } from "../annotations/keys.js";
import { parseDuration, formatDuration } from "../duration.js";
import { appRef, KUBE_FLAGS, parse } from "./args.js";
import { CliError, paint, type CliIO } from "./io.js";
import { apiError, client, kubeConfig, readApp } from "./kube.js";
import { USAGES } from "./main.js";

const ONE_APP = { min: 1, max: 1, names: "<namespace>/<name>" };
const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
/** The longest pin: a pin is for a demo or an incident, not a way to opt out (remove the label). */
const MAX_PIN_MS = 30 * 24 * 3600_000;

async function setPin(args: string[], io: CliIO, pin: boolean): Promise<number> {
  const flags = pin ? { ...KUBE_FLAGS, for: { type: "string" } } : KUBE_FLAGS;
  const { values, positionals } = parse(
    args,
    flags as typeof KUBE_FLAGS & { for: { type: "string" } },
    ONE_APP,
  );
  const ref = appRef(positionals[0]);
  let until: Date | undefined;
  if (pin) {
    const text = values.for;
    if (text === undefined) throw new CliError("--for DURATION is required, e.g. --for 2h", 2);
    const ms = parseDuration(text);
    if (ms === null || ms <= 0 || ms > MAX_PIN_MS)
      throw new CliError(`--for expects a duration from 1s to 30d such as 2h, got "${text.slice(0, 40)}"`, 2);
    until = new Date(Date.now() + ms);
  }
  const kc = kubeConfig(values);
  const dep = await readApp(kc, ref);
  const key = `${ref.namespace}/${ref.name}`;
  try {
    await client(kc, AppsV1Api).patchNamespacedDeployment(
      {
        ...ref,
        body: { metadata: { annotations: { [KEYS.awakeUntil.key]: until ? until.toISOString() : null } } },
      },
      MERGE,
    );
  } catch (err) {
    throw apiError(err, kc, `annotate deployment ${key}`);
  }
  io.out(
    until
      ? `${paint(io, "green", "✓")} ${key} pinned awake until ${until.toISOString()} (${formatDuration(until.getTime() - Date.now())})\n`
      : `${paint(io, "green", "✓")} ${key} unpinned: it sleeps again once idle\n`,
  );
  if (until && (dep.spec?.replicas ?? 1) === 0)
    io.out(`  ${key} is asleep now; \`kubenap wake ${key}\` wakes it (the pin only keeps it awake)\n`);
  return 0;
}

export const pin = { usage: USAGES.pin ?? "", run: (args: string[], io: CliIO) => setPin(args, io, true) };
export const unpin = {
  usage: USAGES.unpin ?? "",
  run: (args: string[], io: CliIO) => setPin(args, io, false),
};
