import {
  createConfiguration,
  ServerConfiguration,
  type ConfigurationOptions,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
} from "@kubernetes/client-node";
import { Observable } from "@kubernetes/client-node";

type ApiType<T> = new (config: ReturnType<typeof createConfiguration>) => T;

/**
 * Builds an API client whose every request has a deadline: a hung API server cannot hold a wake, a
 * sweep or a lease renewal forever. A per-call signal (see `withSignal`) shortens it further.
 */
export function makeClient<T>(kc: KubeConfig, type: ApiType<T>, timeoutMs: number): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: (ctx: RequestContext) => {
          const own = ctx.getSignal();
          const deadline = AbortSignal.timeout(timeoutMs);
          ctx.setSignal(own ? AbortSignal.any([own, deadline]) : deadline);
          return Promise.resolve(ctx);
        },
        post: (res: ResponseContext) => Promise.resolve(res),
      },
    ],
  });
  return new type(config);
}

/** Options that abort one call when `signal` aborts (on top of the client's own deadline). */
export function withSignal(signal: AbortSignal, base?: ConfigurationOptions): ConfigurationOptions {
  return {
    ...base,
    middleware: [
      ...(base?.middleware ?? []),
      {
        pre: (ctx: RequestContext) => {
          const own = ctx.getSignal();
          ctx.setSignal(own ? AbortSignal.any([own, signal]) : signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}
