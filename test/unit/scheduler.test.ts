import { createEmptyClaimRule } from "../../src/delivery/claims";
import { createScheduler, type SchedulerLimits } from "../../src/delivery/scheduler";

/** A leased delivery as the scheduler sees it: its webhook, its lease end, and a name to follow it by. */
interface Item {
  row: { webhook_id: number; id: string };
  lease: Date;
}

const NOW = 1_000_000;
const limits: SchedulerLimits = { concurrency: 4, perEndpointConcurrency: 2, batchSize: 100, timeoutMs: 5_000 };
let serial = 0;
/** `n` deliveries for one webhook, leased until `leaseEnd` (long enough by default). */
const items = (webhookId: number, n: number, leaseEnd = NOW + 15_000): Item[] =>
  Array.from({ length: n }, () => ({ row: { webhook_id: webhookId, id: `w${webhookId}-${++serial}` }, lease: new Date(leaseEnd) }));
const ids = (list: Item[]) => list.map((item) => item.row.id);
const webhooksOf = (list: Item[]) => list.map((item) => item.row.webhook_id);

beforeEach(() => {
  serial = 0;
});

describe("local scheduler", () => {
  it("starts no more than the slots allow, in all and per webhook", () => {
    const scheduler = createScheduler<Item>(limits);
    scheduler.enqueue(items(1, 5));
    const { start, stale } = scheduler.next(NOW);
    expect(ids(start)).toEqual(["w1-1", "w1-2"]); // two slots per webhook
    expect(stale).toEqual([]);
    expect(scheduler.inFlight()).toBe(2);
    expect(scheduler.buffered()).toBe(3);
    expect(scheduler.next(NOW).start).toEqual([]); // the webhook's slots are taken

    scheduler.enqueue([...items(2, 3), ...items(3, 3)]);
    const more = scheduler.next(NOW).start;
    expect(webhooksOf(more)).toEqual([2, 3]); // two slots left in all, one webhook each in turn
    expect(scheduler.inFlight()).toBe(4);
    expect(scheduler.next(NOW).start).toEqual([]);
  });

  it("takes webhooks in turn, so one webhook's backlog does not go first", () => {
    const scheduler = createScheduler<Item>({ ...limits, concurrency: 6, perEndpointConcurrency: 6 });
    scheduler.enqueue([...items(1, 10), ...items(2, 2), ...items(3, 1)]);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([1, 2, 3, 1, 2, 1]);
  });

  it("frees a slot when an attempt finishes, and starts the next of that webhook", () => {
    const scheduler = createScheduler<Item>(limits);
    scheduler.enqueue(items(1, 3));
    expect(ids(scheduler.next(NOW).start)).toEqual(["w1-1", "w1-2"]);
    scheduler.finished(1);
    expect(scheduler.inFlight()).toBe(1);
    expect(ids(scheduler.next(NOW).start)).toEqual(["w1-3"]);
    scheduler.finished(1);
    scheduler.finished(1);
    expect(scheduler.idle()).toBe(true);
    expect(scheduler.load().busy).toEqual([]);
  });

  it("does not start a delivery whose lease would run out during the attempt; hands it back as stale", () => {
    const scheduler = createScheduler<Item>(limits);
    const soon = items(1, 1, NOW + limits.timeoutMs - 1);
    const exactly = items(1, 1, NOW + limits.timeoutMs);
    const later = items(2, 1, NOW + limits.timeoutMs + 1);
    scheduler.enqueue([...soon, ...exactly, ...later]);
    const { start, stale } = scheduler.next(NOW);
    expect(ids(stale)).toEqual(ids(soon));
    expect(ids(start)).toEqual([...ids(later), ...ids(exactly)]); // webhook 2 took its turn before webhook 1's second
    expect(scheduler.inFlight()).toBe(2); // the stale one took no slot
    expect(scheduler.buffered()).toBe(0);

    // The same lease is stale later on the clock.
    const again = createScheduler<Item>(limits);
    again.enqueue(items(3, 1, NOW + 10_000));
    expect(again.next(NOW + 5_001).stale).toHaveLength(1);
  });

  it("tells claims and fan-out what it holds: busy webhooks, their counts, the full ones, the room", () => {
    const scheduler = createScheduler<Item>(limits); // perWebhook = 4, room = 8
    expect(scheduler.perWebhook).toBe(4);
    expect(scheduler.load()).toEqual({ busy: [], held: [], full: [], room: 8, perWebhook: 4 });
    scheduler.enqueue([...items(1, 4), ...items(2, 1)]);
    scheduler.next(NOW); // webhook 1: 2 in flight, 2 buffered; webhook 2: 1 in flight
    expect(scheduler.held(1)).toBe(4);
    expect(scheduler.isFull(1)).toBe(true);
    expect(scheduler.isFull(2)).toBe(false);
    const load = scheduler.load();
    expect(Object.fromEntries(load.busy.map((id, i) => [id, load.held[i]]))).toEqual({ 1: 4, 2: 1 });
    expect(load.full).toEqual([1]);
    expect(load.room).toBe(3);

    // More than the room (a fan-out's leased rows may overshoot a little): room never goes below 0 in the load.
    scheduler.enqueue(items(3, 6));
    expect(scheduler.room()).toBe(-3);
    expect(scheduler.load().room).toBe(0);
    expect(scheduler.claimSize()).toBeLessThanOrEqual(0);
  });

  it("claims a batch at most, and only once the low-water mark of room is free", () => {
    const scheduler = createScheduler<Item>({ concurrency: 16, perEndpointConcurrency: 16, batchSize: 10, timeoutMs: 5_000 });
    expect(scheduler.lowWater).toBe(4); // a quarter of the slots
    expect(scheduler.claimSize()).toBe(10); // room 32, a batch at most
    expect(scheduler.roomForClaim()).toBe(true);
    scheduler.enqueue(items(1, 29)); // room 3: below the mark
    expect(scheduler.claimSize()).toBe(3);
    expect(scheduler.roomForClaim()).toBe(false);
    scheduler.next(NOW); // 16 start, 13 stay buffered: still 29 held
    expect(scheduler.roomForClaim()).toBe(false);
    scheduler.finished(1); // room 4: at the mark
    expect(scheduler.roomForClaim()).toBe(true);
    expect(scheduler.claimSize()).toBe(4);

    // The mark is at least one, and never more than a batch.
    expect(createScheduler<Item>({ ...limits, concurrency: 1 }).lowWater).toBe(1);
    expect(createScheduler<Item>({ ...limits, concurrency: 64, batchSize: 5 }).lowWater).toBe(5);
    // An idle dispatcher always has room for a claim.
    for (const concurrency of [1, 2, 3, 7, 64, 1000]) expect(createScheduler<Item>({ ...limits, concurrency }).roomForClaim()).toBe(true);
  });

  it("drains what is buffered and not started, leaving what is in flight", () => {
    const scheduler = createScheduler<Item>(limits);
    scheduler.enqueue([...items(1, 3), ...items(2, 1)]);
    scheduler.next(NOW);
    expect(scheduler.inFlight()).toBe(3);
    expect(ids(scheduler.drain())).toEqual(["w1-3"]);
    expect(scheduler.buffered()).toBe(0);
    expect(scheduler.inFlight()).toBe(3);
    expect(scheduler.next(NOW).start).toEqual([]);
    expect(scheduler.load().busy.sort()).toEqual([1, 2]);
  });

  it("puts a webhook that emptied its queue back at the end of the turn order", () => {
    const scheduler = createScheduler<Item>({ ...limits, concurrency: 1, perEndpointConcurrency: 1 });
    scheduler.enqueue([...items(1, 1), ...items(2, 2)]);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([1]);
    scheduler.finished(1);
    scheduler.enqueue(items(1, 1)); // webhook 1 rejoins behind webhook 2
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([2]);
    scheduler.finished(2);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([2]);
    scheduler.finished(2);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([1]);
  });
});

describe("the empty-claim skip rule", () => {
  const POLL = 1_000;

  it("skips a claim that would leave out at least the webhooks an empty claim left out, until the poll interval has passed", () => {
    let now = 0;
    const rule = createEmptyClaimRule(POLL, () => now);
    expect(rule.pointless([1])).toBe(false); // nothing known yet
    rule.noteClaim(0, [1, 2]);
    expect(rule.pointless([1, 2])).toBe(true);
    expect(rule.pointless([2, 1, 3])).toBe(true); // leaves out more: finds nothing either
    expect(rule.pointless([1])).toBe(false); // webhook 2 has room again: its rows may be claimed
    now = POLL - 1;
    expect(rule.pointless([1, 2])).toBe(true);
    now = POLL;
    expect(rule.pointless([1, 2])).toBe(false); // the poll interval is over
  });

  it("remembers only empty claims that left webhooks out, and forgets when new rows may be due", () => {
    const now = 0;
    const rule = createEmptyClaimRule(POLL, () => now);
    rule.noteClaim(0, []); // nothing was left out: an empty claim says nothing about the next
    expect(rule.pointless([])).toBe(false);
    rule.noteClaim(3, [1]); // found rows
    expect(rule.pointless([1])).toBe(false);
    rule.noteClaim(0, [1]);
    expect(rule.pointless([1])).toBe(true);
    rule.forget(); // fan-out for a webhook with room, leases handed back, the poll
    expect(rule.pointless([1])).toBe(false);
  });
});
