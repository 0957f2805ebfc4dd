import { formatDuration, parseDuration } from "../../src/duration.js";

describe("durations", () => {
  it.each([
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["1h", 3_600_000],
    ["2m30s", 150_000],
  ])("parses %s", (t, ms) => {
    expect(parseDuration(t)).toBe(ms);
  });
  it.each(["", "10", "10 minutes", "-5m", "1.5h", "abc", "m", "30s10m"])("rejects %j", (t) => {
    expect(parseDuration(t)).toBeNull();
  });
  it.each([
    [90_000, "1m30s"],
    [5_400_000, "1h30m"],
    [250, "250ms"],
    [0, "0ms"],
    [3_600_000, "1h"],
  ])("formats %d as %s", (ms, t) => {
    expect(formatDuration(ms)).toBe(t);
  });
});
