import { createCommitWaker, createLoop, createWaker, type WorkSignals } from "../../src/delivery/loop";

describe("waker", () => {
  it("times out when nobody wakes it", async () => {
    const started = performance.now();
    expect(await createWaker().sleep(30)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("cuts a sleep short on wake()", async () => {
    const waker = createWaker();
    const started = performance.now();
    const slept = waker.sleep(10_000);
    setTimeout(() => waker.wake(), 10);
    expect(await slept).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("keeps a wake-up that came while nobody slept: the next sleep returns at once, the one after sleeps", async () => {
    const waker = createWaker();
    waker.wake();
    waker.wake(); // several count as one
    expect(await waker.sleep(10_000)).toBe(false);
    expect(await waker.sleep(20)).toBe(true);
  });
});

describe("commit waker", () => {
  /** Whether the waker has a wake-up pending (a sleep of 0 ms tells without waiting). */
  const woken = async (waker: ReturnType<typeof createWaker>) => !(await waker.sleep(0));

  it("wakes at once for a lone commit, and a moment later for commits in a burst, once", async () => {
    let now = 1_000;
    const waker = createWaker();
    const commits = createCommitWaker(waker, () => now);
    commits.committed();
    expect(await woken(waker)).toBe(true);
    now += 1; // 1 ms after the last: a burst
    commits.committed();
    now += 1;
    commits.committed();
    expect(await woken(waker)).toBe(false); // gathering
    const started = performance.now();
    expect(await waker.sleep(5_000)).toBe(false); // the burst's one wake-up
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await woken(waker)).toBe(false); // only one
    now += 50; // a lone commit again
    commits.committed();
    expect(await woken(waker)).toBe(true);
  });

  it("drops the burst's wake-up on cancel()", async () => {
    let now = 0;
    const waker = createWaker();
    const commits = createCommitWaker(waker, () => now);
    commits.committed();
    expect(await woken(waker)).toBe(true);
    now += 1;
    commits.committed();
    commits.cancel();
    expect(await waker.sleep(60)).toBe(true); // nothing came
  });
});

describe("loop", () => {
  const settings = (pass: () => Promise<boolean>, signals: WorkSignals = { events: false, deliveries: false }) => {
    const calls = { poll: 0, errors: [] as Error[] };
    const waker = createWaker();
    const loop = createLoop({
      pass,
      signals,
      waker,
      pollIntervalMs: 250,
      onPoll: () => (calls.poll += 1),
      onError: (error) => calls.errors.push(error),
    });
    return { loop, waker, calls, signals };
  };
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(condition()).toBe(true);
  };

  it("goes again at once while a pass says more waits, then sleeps until the poll, which raises both signals", async () => {
    let passes = 0;
    const { loop, calls, signals } = settings(async () => ++passes < 3);
    loop.start();
    expect(loop.running()).toBe(true);
    await until(() => passes === 3);
    expect(calls.poll).toBe(0); // three passes without sleeping
    await until(() => calls.poll === 1);
    expect(signals).toEqual({ events: true, deliveries: true });
    await loop.stop();
    expect(loop.live()).toBe(false);
  });

  it("is woken before the poll", async () => {
    let passes = 0;
    const { loop, waker, calls } = settings(async () => (++passes, false));
    loop.start();
    await until(() => passes === 1);
    waker.wake();
    await until(() => passes === 2);
    expect(calls.poll).toBe(0);
    await loop.stop();
  });

  it("backs off after a failed pass, raising both signals, and goes on", async () => {
    let passes = 0;
    const { loop, calls, signals } = settings(async () => {
      passes += 1;
      if (passes <= 2) throw new Error(`down ${passes}`);
      return false;
    });
    loop.start();
    await until(() => passes === 3);
    expect(calls.errors.map((error) => error.message)).toEqual(["down 1", "down 2"]);
    expect(signals).toEqual({ events: true, deliveries: true });
    await loop.stop();
  });

  it("stops after the pass under way, and runs no pass after stop() resolved", async () => {
    let release: () => void = () => undefined;
    let passes = 0;
    const { loop } = settings(() => {
      passes += 1;
      return new Promise<boolean>((resolve) => (release = () => resolve(true)));
    });
    loop.start();
    await until(() => passes === 1);
    const stopped = loop.stop();
    expect(loop.running()).toBe(false);
    expect(loop.live()).toBe(true); // the pass under way has not ended
    release();
    await stopped;
    expect(loop.live()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(passes).toBe(1);
  });
});
