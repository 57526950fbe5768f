import type { Claims } from "../../src/delivery/claims";
import type { FanOutResult } from "../../src/delivery/fan-out";
import { createFanOutRunner } from "../../src/delivery/fan-out-runner";
import type { WorkSignals } from "../../src/delivery/loop";
import { createScheduler } from "../../src/delivery/scheduler";

/** A fan-out the test finishes by hand. */
interface Pending {
  finish(result?: Partial<FanOutResult>): void;
  fail(error: Error): void;
}

function setup(concurrency = 3, batchSize = 100) {
  const pending: Pending[] = [];
  const signals: WorkSignals = { events: false, deliveries: false };
  const errors: Error[] = [];
  let wakes = 0;
  let forgets = 0;
  const scheduler = createScheduler({ concurrency: 64, perEndpointConcurrency: 16, perAccountConcurrency: 32, batchSize: 100, timeoutMs: 5000, slowAttemptMs: 2500 });
  const claims = { forget: () => (forgets += 1) } as unknown as Claims;
  const runner = createFanOutRunner({
    fanOut: () =>
      new Promise<FanOutResult>((resolve, reject) => {
        pending.push({ finish: (result = {}) => resolve({ events: 1, leased: [], unleased: new Set(), ...result }), fail: reject });
      }),
    scheduler,
    claims,
    signals,
    pump: () => undefined,
    concurrency,
    batchSize,
    wakeLoop: () => (wakes += 1),
    onError: (error) => errors.push(error),
  });
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return { runner, pending, signals, errors, tick, wakes: () => wakes, forgets: () => forgets };
}

describe("fan-out runner", () => {
  it("starts a fan-out per signal, at most `concurrency` at once, and the next as one finishes", async () => {
    const { runner, pending, signals, tick } = setup(2);
    signals.events = true;
    runner.kick();
    expect(pending).toHaveLength(1);
    expect(signals.events).toBe(false);
    signals.events = true;
    runner.kick();
    signals.events = true;
    runner.kick();
    expect(pending).toHaveLength(2);
    expect(signals.events).toBe(true); // left raised for when one finishes
    pending[0].finish();
    await tick();
    expect(pending).toHaveLength(3);
    pending[1].finish();
    pending[2].finish();
    await runner.settled();
    expect(runner.take()).toEqual({ fannedOut: 3, leased: 0, error: null });
  });

  it("goes on with a full batch, and wakes the loop for rows it could not lease", async () => {
    const { runner, pending, signals, tick, wakes, forgets } = setup(1, 10);
    signals.events = true;
    runner.kick();
    pending[0].finish({ events: 10, unleased: new Set([7]) });
    await tick();
    expect(pending).toHaveLength(2);
    expect(signals.deliveries).toBe(true);
    expect(wakes()).toBe(1);
    expect(forgets()).toBe(1);
    pending[1].finish({ events: 3 });
    await runner.settled();
    expect(pending).toHaveLength(2);
    expect(runner.take().fannedOut).toBe(13);
  });

  it("reports a failure, keeps the events signalled and waits before the next try", async () => {
    const { runner, pending, signals, errors, tick } = setup(3);
    signals.events = true;
    runner.kick();
    pending[0].fail(new Error("database away"));
    await tick();
    expect(errors.map((error) => error.message)).toEqual(["database away"]);
    expect(signals.events).toBe(true);
    runner.kick();
    expect(pending).toHaveLength(1); // backing off
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(pending).toHaveLength(2);
    pending[1].finish();
    await runner.settled();
    expect(runner.take()).toEqual({ fannedOut: 1, leased: 0, error: expect.objectContaining({ message: "database away" }) });
  });

  it("starts nothing once stopped, and settles with the fan-outs under way", async () => {
    const { runner, pending, signals } = setup(3);
    signals.events = true;
    runner.kick();
    runner.stop();
    signals.events = true;
    runner.kick();
    expect(pending).toHaveLength(1);
    let settled = false;
    const done = runner.settled().then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    pending[0].finish();
    await done;
    runner.resume();
    runner.kick();
    expect(pending).toHaveLength(2);
    pending[1].finish();
    await runner.settled();
  });
});
