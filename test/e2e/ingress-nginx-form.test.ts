// ingress-nginx cannot run here (it needs its own patched OpenResty build), so this sends KubeNap
// exactly what ingress-nginx's custom-http-errors location sends the default backend (path /, the
// X-Code/X-Original-URI/X-Namespace/... headers it sets, the client's own headers, the method) through
// the kubenap Service, and checks the answer sends the client back to its URL on a woken app.
import { freshNamespace } from "../integration/helpers/kube.js";
import { clusterIp, createSleepingApp, putToSleep, waitKubenapState } from "./helpers/apps.js";
import { startKubenapInWorld } from "./helpers/kubenap.js";
import { runInNetns, type NetnsProcess } from "./helpers/world.js";

describe("the ingress-nginx default-backend form", () => {
  let ns = "";
  let kubenap: NetnsProcess | undefined;
  beforeAll(async () => {
    ns = await freshNamespace("e2e-ingnginx");
    await createSleepingApp(ns, "web", "web.ingress-nginx.example", { ingress: "create" });
    kubenap = await startKubenapInWorld([ns]);
  });
  afterAll(async () => {
    await kubenap?.stop();
  });

  it.each(["GET", "POST"])(
    "%s: KubeNap wakes the app and answers 307 to the original URL",
    async (method) => {
      await putToSleep(ns, "web");
      const wake = await clusterIp("kubenap", "kubenap");
      const headers = {
        Host: "web.ingress-nginx.example",
        Accept: "text/html",
        "X-Code": "503",
        "X-Format": "text/html",
        "X-Original-URI": "/orders/42?tab=2",
        "X-Namespace": ns,
        "X-Ingress-Name": "web",
        "X-Service-Name": "web",
        "X-Service-Port": "80",
        "X-Request-ID": "0123456789abcdef",
      };
      const out = await runInNetns([
        "curl",
        "-sS",
        "-o",
        "/dev/null",
        "--max-time",
        "60",
        "-X",
        method,
        ...(method === "POST" ? ["--data-binary", "a=1"] : []),
        ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
        "-w",
        "%{http_code} %{redirect_url}",
        `http://${wake}/`,
      ]);
      expect(out).toBe("307 http://web.ingress-nginx.example/orders/42?tab=2");
      await waitKubenapState(ns, "web", "ready");
    },
  );
});
