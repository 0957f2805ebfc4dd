import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./io.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Flags every cluster command takes. */
export const KUBE_FLAGS = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** node:util parseArgs, strict, with its errors turned into one usage line (exit 2). */
export function parse<O extends Options>(
  args: string[],
  options: O,
  positionals: { min: number; max: number; names: string },
): {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>["values"];
  positionals: string[];
} {
  let r;
  try {
    r = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError((err as Error).message.split("\n")[0] ?? "invalid arguments", 2);
  }
  const help = (r.values as { help?: boolean }).help === true;
  if (!help && (r.positionals.length < positionals.min || r.positionals.length > positionals.max)) {
    throw new CliError(
      positionals.max === 0
        ? `unexpected argument "${r.positionals[0]}"`
        : `expected ${positionals.names}, got ${r.positionals.length === 0 ? "nothing" : r.positionals.map((p) => `"${p}"`).join(" ")}`,
      2,
    );
  }
  return { values: r.values, positionals: r.positionals };
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `<namespace>/<name>`, both DNS labels (a Deployment name may have dots: DNS subdomain). */
export function appRef(s: string | undefined): { namespace: string; name: string } {
  const [namespace = "", name = "", ...more] = (s ?? "").split("/");
  const sub = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
  if (more.length > 0 || !NAME.test(namespace) || !sub.test(name)) {
    throw new CliError(`expected <namespace>/<name> (e.g. shop/web), got "${(s ?? "").slice(0, 100)}"`, 2);
  }
  return { namespace, name };
}
