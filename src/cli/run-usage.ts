import { KEYS } from "../annotations/keys.js";
import { OPTIONS } from "../config/options.js";
import { SOURCE_KINDS } from "../metrics-sources/index.js";

/** `kubenap run --help`: every option and every annotation, from their single declarations. */
export const RUN_USAGE = `kubenap run [options]: the deployment monitor and the wake handler

Example:
  kubenap run --kubeconfig ~/.kube/config --metrics-source prometheus --prometheus-url http://prometheus:9090

Options (flag, environment variable, default). A YAML file given with --config or
KUBENAP_CONFIG may set the same options by camelCase name; flags win over env, env over file.
${Object.values(OPTIONS)
  .map((d) => `  --${d.flag.padEnd(18)} ${d.env.padEnd(28)} ${(d.default || '""').padEnd(16)} ${d.doc}`)
  .join("\n")}

Metrics sources: ${SOURCE_KINDS.join(", ")}

Deployment labels and annotations:
${Object.values(KEYS)
  .map(
    (k) =>
      `  ${k.key.padEnd(30)} ${k.on.padEnd(10)} ${k.writer === "user" ? "set by you" : "written by KubeNap"}: ${k.doc}`,
  )
  .join("\n")}
`;
