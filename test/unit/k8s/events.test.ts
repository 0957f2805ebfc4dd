import type { CoreV1Api, CoreV1Event } from "@kubernetes/client-node";
import { EventRecorder } from "../../../src/k8s/events.js";
import { FakeClock, flush } from "../helpers/fake-clock.js";
import { silentLogger } from "../helpers/logger.js";
import { Writable } from "node:stream";
import { createLogger, format, transports } from "winston";

describe("the event recorder", () => {
  it("sends an identical warning for one object at most once per 10 minutes", async () => {
    const sent: CoreV1Event[] = [];
    const core = {
      createNamespacedEvent: ({ body }: { body: CoreV1Event }) => (sent.push(body), Promise.resolve(body)),
    } as unknown as CoreV1Api;
    const clock = new FakeClock();
    const rec = new EventRecorder(core, clock, silentLogger(), "kubenap-0");
    const dep = { metadata: { namespace: "shop", name: "web", uid: "u1" } };
    rec.warning(dep, "InvalidAnnotation", "bad");
    rec.warning(dep, "InvalidAnnotation", "bad");
    rec.warning(dep, "InvalidAnnotation", "other");
    rec.warning({ metadata: { ...dep.metadata, uid: "u2" } }, "InvalidAnnotation", "bad");
    await flush();
    expect(sent).toHaveLength(3);
    await clock.advance(10 * 60_000);
    rec.warning(dep, "InvalidAnnotation", "bad");
    await flush();
    expect(sent).toHaveLength(4);
    expect(sent[0]).toMatchObject({
      type: "Warning",
      reason: "InvalidAnnotation",
      involvedObject: { kind: "Deployment", name: "web", namespace: "shop" },
      reportingComponent: "kubenap",
    });
  });

  it("logs, and never throws, when the API rejects the event", async () => {
    const core = {
      createNamespacedEvent: () => Promise.reject(new Error("forbidden")),
    } as unknown as CoreV1Api;
    const logged: Record<string, unknown>[] = [];
    const stream = new Writable({
      write: (chunk: Buffer, _enc, done) => (
        logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>),
        done()
      ),
    });
    const logger = createLogger({ format: format.json(), transports: [new transports.Stream({ stream })] });
    const rec = new EventRecorder(core, new FakeClock(), logger, "x");
    expect(() => rec.normal({ metadata: { namespace: "a", name: "b" } }, "Sleeping", "m")).not.toThrow();
    await rec.settled();
    expect(logged).toContainEqual(
      expect.objectContaining({ message: "could not write event", deployment: "b", eventReason: "Sleeping" }),
    );
  });

  it("writes the Deployment's uid into the Event, so kubectl describe shows it", async () => {
    const sent: CoreV1Event[] = [];
    const core = {
      createNamespacedEvent: ({ body }: { body: CoreV1Event }) => (sent.push(body), Promise.resolve(body)),
    } as unknown as CoreV1Api;
    const rec = new EventRecorder(core, new FakeClock(), silentLogger(), "kubenap-0");
    rec.warning({ metadata: { namespace: "shop", name: "web", uid: "u-1" } }, "WakeTimeout", "late");
    await rec.settled();
    expect(sent[0]?.involvedObject).toMatchObject({ uid: "u-1", name: "web", namespace: "shop" });
    expect(sent[0]?.type).toBe("Warning");
  });
});
