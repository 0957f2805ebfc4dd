import { fmt, median, percentile, ratio, summaryLine } from "../../../bench/lib/stats.js";

describe("bench statistics", () => {
  test.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[3, 1, 2], 50, 2],
    [[7], 99, 7],
    [[], 50, NaN],
    [[1, NaN, 3], 100, 3],
  ])("percentile(%j, %d) is %d (nearest rank, unsorted input)", (xs, p, want) => {
    expect(percentile(xs, p)).toEqual(want);
  });

  test("the median of an even count is the lower middle value (nearest rank)", () => {
    expect(median([4, 1, 3, 2])).toBe(2);
  });

  test("a ratio to zero or to nothing is NaN, not Infinity", () => {
    expect(ratio(2, 4)).toBe(0.5);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(NaN, 1)).toBeNaN();
  });

  test("the summary line is name: key=value with ratios to 3 decimals", () => {
    expect(summaryLine("steady", { ratio: 1.0123, p50_ms: 1.25, n: 30, ok: true })).toBe(
      "steady: ratio=1.012 p50_ms=1.3 n=30 ok=true",
    );
    expect(fmt(Infinity)).toBe("NaN");
  });
});
