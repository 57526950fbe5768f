/** A clock tests move by hand, so retry schedules are checked without waiting. */
export interface TestClock {
  (): Date;
  set(date: Date | string): void;
  advance(ms: number): void;
}

export function testClock(start: Date | string = "2026-03-03T13:05:57.000Z"): TestClock {
  let now = new Date(start).getTime();
  const clock = (() => new Date(now)) as TestClock;
  clock.set = (date) => {
    now = new Date(date).getTime();
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}
