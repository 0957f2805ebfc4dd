// The demo's command line: `npm run demo -- [--port N] [--clean] [--kubeconfig FILE [--image REF]]`.

/** What the user asked for. */
export interface DemoArgs {
  help: boolean;
  /** Only remove what a killed demo left behind (network namespaces), then exit. */
  clean: boolean;
  /** Host loopback port for the apps; `portGiven` false: 8080, or a free one if that is taken. */
  port: number;
  portGiven: boolean;
  /** Install into this cluster instead of the local one. */
  kubeconfig?: string;
  /** KubeNap's image in a real cluster (built from the Dockerfile and loaded into it). */
  image: string;
}

/** Usage text. */
export const DEMO_USAGE = `npm run demo [-- options]

Starts a local cluster with Traefik, Prometheus, two sample apps (kubenap/idleAfter: 30s) and KubeNap,
and shows live what KubeNap does. Needs root (network namespaces). Ctrl-C stops everything.

Options:
  --port N            host port for the apps on 127.0.0.1 (default 8080, or a free one if taken)
  --clean             remove what a killed demo left behind (network namespaces), then exit
  --kubeconfig FILE   install the same demo into that cluster instead (e.g. kind); needs kubectl
  --image REF         KubeNap's image there (default kubenap:0.1.0; build it and load it first)
  --help              this text
`;

/** Parses argv (without node and the script); throws an Error whose message is one line for the user. */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const out: DemoArgs = { help: false, clean: false, port: 8080, portGiven: false, image: "kubenap:0.1.0" };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? "";
    const eq = raw.indexOf("=");
    const flag = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith("--") && eq > 0 ? raw.slice(eq + 1) : undefined;
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case "--help":
      case "-h":
        out.help = true;
        break;
      case "--clean":
        out.clean = true;
        break;
      case "--port": {
        const v = take();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 65535)
          throw new Error(`--port must be a port number (1-65535), got "${v}"`);
        out.port = n;
        out.portGiven = true;
        break;
      }
      case "--kubeconfig":
        out.kubeconfig = take();
        if (!out.kubeconfig) throw new Error("--kubeconfig needs a file");
        break;
      case "--image":
        out.image = take();
        if (!out.image) throw new Error("--image needs an image reference");
        break;
      default:
        throw new Error(`unknown option "${raw}" (npm run demo -- --help lists them)`);
    }
  }
  return out;
}
