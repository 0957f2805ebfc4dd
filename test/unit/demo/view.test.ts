import { PassThrough } from "node:stream";
import { staleNetns } from "../../cluster/netns.js";
import { NETNS_PREFIXES } from "../../e2e/world.js";
import type { AppRow } from "../../../demo/model.js";
import { DemoModel } from "../../../demo/model.js";
import { Screen, fitWidth } from "../../../demo/screen.js";
import { plainLine, renderTable } from "../../../demo/view.js";

const rows: AppRow[] = [
  { app: "kubenap-demo/blog", state: "awake", replicas: "1/1", sleep: "sleeps in 23 s", lastWake: "" },
  {
    app: "kubenap-demo/shop",
    state: "asleep",
    replicas: "0/0",
    sleep: "asleep",
    lastWake: "woke in 214 ms at 12:00:03",
  },
];

describe("the demo's view", () => {
  it("aligns the table's columns, colour only when asked", () => {
    const plain = renderTable(rows, false);
    expect(plain).toEqual([
      "APP                STATE   READY  SLEEP           LAST WAKE",
      "kubenap-demo/blog  awake   1/1    sleeps in 23 s",
      "kubenap-demo/shop  asleep  0/0    asleep          woke in 214 ms at 12:00:03",
    ]);
    const coloured = renderTable(rows, true);
    expect(coloured.join("\n")).toContain("\x1b[32mawake ");
    // eslint-disable-next-line no-control-regex
    expect(coloured.map((l) => l.replace(/\x1b\[\d+m/g, ""))).toEqual(plain);
  });

  it("plain lines round the countdown to 10 s, so a pipe gets a line per change, not per second", () => {
    const at = (sleep: string): string => plainLine({ ...rows[0]!, sleep });
    expect(at("sleeps in 23 s")).toBe("kubenap-demo/blog  awake  ready 1/1  sleeps in ~30 s");
    expect(at("sleeps in 21 s")).toBe(at("sleeps in 29 s"));
    expect(at("sleeps in 1 m 05 s")).toContain("sleeps in ~70 s");
  });

  it("cuts lines to the terminal's width without counting colour codes", () => {
    expect(fitWidth("abcdef", 4)).toBe("abc");
    expect(fitWidth("\x1b[32mabcdef\x1b[0m", 4)).toBe("\x1b[32mabc\x1b[0m");
  });

  it("on a pipe, writes each event once and a row only when it changes", () => {
    const out = new PassThrough() as PassThrough & { isTTY?: boolean };
    const m = new DemoModel(["d/blog"]);
    const screen = new Screen(out as unknown as NodeJS.WriteStream, m);
    const T = Date.parse("2026-11-26T12:00:00Z");
    m.onDeployment({
      metadata: { namespace: "d", name: "blog" },
      spec: { replicas: 0, selector: {}, template: {} },
    });
    screen.draw(T);
    screen.draw(T + 1_000);
    m.onKubenap({ kind: "scaled-up", at: T + 2_000, app: "d/blog" });
    screen.draw(T + 2_000);
    const lines = String(out.read())
      .trimEnd()
      .split("\n")
      .map((l) => l.slice(9));
    expect(lines).toEqual([
      "d/blog  asleep  ready 0/0  asleep: the next request wakes it",
      "d/blog waking: a request reached KubeNap's wake handler",
    ]);
  });

  it("on a terminal, redraws the block in place", () => {
    const out = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
    out.isTTY = true;
    out.columns = 200;
    const m = new DemoModel(["d/blog"]);
    const screen = new Screen(out as unknown as NodeJS.WriteStream, m);
    screen.draw(0);
    const first = String(out.read());
    screen.draw(0);
    const second = String(out.read());
    const height = first.split("\n").length - 1;
    expect(first.startsWith("\x1b[J")).toBe(true);
    expect(second.startsWith(`\x1b[${height}F\x1b[J`)).toBe(true);
  });
});

describe("what a killed demo leaves behind", () => {
  it("is the namespaces of worlds and pod agents whose process is gone, nobody else's", () => {
    const alive = (pid: number): boolean => pid === 200;
    expect(
      staleNetns(
        ["kubenap-demo-100", "kubenap-demo-200", "knp100-3", "knp200-1", "kubenap-e2e-100", "mine", "knpx"],
        NETNS_PREFIXES,
        alive,
      ),
    ).toEqual(["kubenap-demo-100", "knp100-3", "kubenap-e2e-100"]);
  });
});
