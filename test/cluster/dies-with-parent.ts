/**
 * argv that runs a command which is SIGKILLed when the process that spawned it dies (setpriv, util-linux),
 * so that a test process killed before its teardown (a timeout, Ctrl-C, CI stopping a lane) leaves no
 * Prometheus, influxd, NGINX or KubeNap running behind it. setpriv execs the command: same pid.
 */
export function diesWithParent(argv: readonly string[]): string[] {
  return ["setpriv", "--pdeathsig", "KILL", "--", ...argv];
}
