import { DEFAULT_RETRY_SCHEDULE } from "../../src/options";
import { nextAttemptAt, parseRetryAfter } from "../../src/delivery/retry-schedule";

const now = new Date("2026-03-03T13:00:00.000Z");
const at = (ms: number) => new Date(now.getTime() + ms);
const base = { schedule: DEFAULT_RETRY_SCHEDULE, now, jitter: 0.2 };

describe("nextAttemptAt", () => {
  it("follows the schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up", () => {
    const middle = () => 0.5; // no jitter at the midpoint
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => (nextAttemptAt({ ...base, attempt, random: middle }) as Date).getTime() - now.getTime());
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(nextAttemptAt({ ...base, attempt: 8, random: middle })).toBeNull();
    const total = DEFAULT_RETRY_SCHEDULE.reduce((sum, delay) => sum + delay, 0);
    expect(total / 3_600_000).toBeCloseTo(27.6, 1);
  });

  it("spreads each delay by ±20 %", () => {
    expect(nextAttemptAt({ ...base, attempt: 2, random: () => 0 })).toEqual(at(240_000));
    expect(nextAttemptAt({ ...base, attempt: 2, random: () => 0.999999 })?.getTime()).toBeCloseTo(at(360_000).getTime(), -1);
  });

  it("honours Retry-After on 429 and 503, clamped between the scheduled delay and twice it", () => {
    const random = () => 0.5;
    expect(nextAttemptAt({ ...base, attempt: 2, random, status: 429, retryAfter: "450" })).toEqual(at(450_000));
    expect(nextAttemptAt({ ...base, attempt: 2, random, status: 503, retryAfter: "5" })).toEqual(at(300_000));
    expect(nextAttemptAt({ ...base, attempt: 2, random, status: 503, retryAfter: "86400" })).toEqual(at(600_000));
    expect(nextAttemptAt({ ...base, attempt: 2, random, status: 429, retryAfter: new Date(now.getTime() + 400_000).toUTCString() })).toEqual(at(400_000));
    // Other statuses and unreadable values fall back to the schedule.
    expect(nextAttemptAt({ ...base, attempt: 2, random, status: 500, retryAfter: "450" })).toEqual(at(300_000));
    expect(nextAttemptAt({ ...base, attempt: 2, random, status: 429, retryAfter: "soon" })).toEqual(at(300_000));
  });

  it("takes a custom schedule and rejects nonsense", () => {
    expect(nextAttemptAt({ schedule: [1000], now, jitter: 0, random: Math.random, attempt: 1 })).toEqual(at(1000));
    expect(nextAttemptAt({ schedule: [1000], now, jitter: 0, random: Math.random, attempt: 2 })).toBeNull();
    expect(() => nextAttemptAt({ ...base, attempt: 0, random: Math.random })).toThrow(TypeError);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 7 ", now)).toBe(7_000);
    expect(parseRetryAfter(new Date(now.getTime() + 60_000).toUTCString(), now)).toBe(60_000);
    expect(parseRetryAfter(new Date(now.getTime() - 60_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter("-1", now)).toBeNull();
    expect(parseRetryAfter("tomorrow-ish", now)).toBeNull();
  });
});
