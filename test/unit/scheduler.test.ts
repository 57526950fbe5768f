import { createEmptyClaimRule } from "../../src/delivery/claims";
import { createScheduler, type SchedulerLimits } from "../../src/delivery/scheduler";

/** A leased delivery as the scheduler sees it: its webhook, its lease end, and a name to follow it by. */
interface Item {
  row: { webhook_id: number; account_id: number; id: string };
  lease: Date;
}

const NOW = 1_000_000;
// Slot mechanics first: every webhook starts with all its slots and accounts do not limit (see the breaker and account tests below).
const limits: SchedulerLimits = { concurrency: 4, perEndpointConcurrency: 2, firstSlots: 2, perAccountConcurrency: 4, batchSize: 100, timeoutMs: 5_000, slowAttemptMs: 2_500 };
let serial = 0;
/** `n` deliveries for one webhook, leased until `leaseEnd` (long enough by default). */
const items = (webhookId: number, n: number, leaseEnd = NOW + 15_000, accountId = 1): Item[] =>
  Array.from({ length: n }, () => ({ row: { webhook_id: webhookId, account_id: accountId, id: `w${webhookId}-${++serial}` }, lease: new Date(leaseEnd) }));
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
    const scheduler = createScheduler<Item>({ ...limits, concurrency: 6, perEndpointConcurrency: 6, firstSlots: 6, perAccountConcurrency: 6 });
    scheduler.enqueue([...items(1, 10), ...items(2, 2), ...items(3, 1)]);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([1, 2, 3, 1, 2, 1]);
  });

  it("frees a slot when an attempt finishes, and starts the next of that webhook", () => {
    const scheduler = createScheduler<Item>(limits);
    scheduler.enqueue(items(1, 3));
    expect(ids(scheduler.next(NOW).start)).toEqual(["w1-1", "w1-2"]);
    scheduler.finished(1, 1);
    expect(scheduler.inFlight()).toBe(1);
    expect(ids(scheduler.next(NOW).start)).toEqual(["w1-3"]);
    scheduler.finished(1, 1);
    scheduler.finished(1, 1);
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
    expect(scheduler.load()).toEqual({ busy: [], held: [], full: [], room: 8, perWebhook: 4, accounts: [], accountHeld: [], fullAccounts: [], perAccount: 8 });
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
    const scheduler = createScheduler<Item>({ ...limits, concurrency: 16, perEndpointConcurrency: 16, firstSlots: 16, perAccountConcurrency: 16, batchSize: 10 });
    expect(scheduler.lowWater).toBe(4); // a quarter of the slots
    expect(scheduler.claimSize()).toBe(10); // room 32, a batch at most
    expect(scheduler.roomForClaim()).toBe(true);
    scheduler.enqueue(items(1, 29)); // room 3: below the mark
    expect(scheduler.claimSize()).toBe(3);
    expect(scheduler.roomForClaim()).toBe(false);
    scheduler.next(NOW); // 16 start, 13 stay buffered: still 29 held
    expect(scheduler.roomForClaim()).toBe(false);
    scheduler.finished(1, 1); // room 4: at the mark
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

  it("keeps the turn order across calls: a webhook that started one goes to the end, one that emptied its queue rejoins at the end", () => {
    const scheduler = createScheduler<Item>({ ...limits, concurrency: 1, perEndpointConcurrency: 1, firstSlots: 1 });
    scheduler.enqueue([...items(1, 1), ...items(2, 3)]);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([1]);
    scheduler.finished(1, 1);
    scheduler.enqueue(items(1, 2)); // webhook 1 emptied its queue: it rejoins behind webhook 2
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([2]);
    scheduler.finished(2, 1);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([1]);
    scheduler.finished(1, 1);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([2]);
    scheduler.finished(2, 1);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([1]);
  });

  it("takes accounts in turn first, then each account's webhooks, so an account with many webhooks does not go first", () => {
    const scheduler = createScheduler<Item>({ ...limits, concurrency: 6, perEndpointConcurrency: 6, firstSlots: 6, perAccountConcurrency: 6 });
    // Account 1 has three webhooks with work, account 2 one.
    scheduler.enqueue([...items(1, 3, undefined, 1), ...items(2, 3, undefined, 1), ...items(3, 3, undefined, 1), ...items(9, 3, undefined, 2)]);
    const started = scheduler.next(NOW).start.map((item) => `${item.row.account_id}/${item.row.webhook_id}`);
    expect(started).toEqual(["1/1", "2/9", "1/2", "2/9", "1/3", "2/9"]);
  });

  it("keeps an account within its slots while another account waits, lends it slots nobody else wants, and tells claims which accounts are full", () => {
    const scheduler = createScheduler<Item>({ ...limits, concurrency: 4, perEndpointConcurrency: 4, firstSlots: 4, perAccountConcurrency: 2 });
    scheduler.enqueue([...items(1, 2, undefined, 1), ...items(2, 2, undefined, 1), ...items(3, 3, undefined, 2)]);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([1, 3, 2, 3]); // two each
    const load = scheduler.load();
    expect(load.perAccount).toBe(4);
    expect(Object.fromEntries(load.accounts.map((id, i) => [id, load.accountHeld[i]]))).toEqual({ 1: 4, 2: 3 });
    expect(load.fullAccounts).toEqual([1]);
    // A slot of account 2 frees: account 1 is at its cap and account 2 still waits, so account 2 gets it.
    scheduler.finished(3, 2);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([3]);
    scheduler.finished(1, 1);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([1]);
    // Account 2 is done; account 1, at its cap, may use the slots nobody else wants.
    scheduler.finished(3, 2);
    scheduler.finished(3, 2);
    expect(scheduler.inFlight()).toBe(2);
    expect(webhooksOf(scheduler.next(NOW).start)).toEqual([2]);
    expect(scheduler.inFlight()).toBe(3);
  });

  it("is a circuit breaker per webhook: few slots at first, one more per quick success, half on a slow attempt", () => {
    const scheduler = createScheduler<Item>({ ...limits, concurrency: 64, perEndpointConcurrency: 16, firstSlots: 4, perAccountConcurrency: 64 });
    expect(createScheduler<Item>({ ...limits, perEndpointConcurrency: 16, firstSlots: undefined }).slots(1)).toBe(2); // an eighth by default
    expect(scheduler.slots(1)).toBe(4);
    expect(scheduler.perWebhook).toBe(8); // what a webhook new here may hold: its slots and as many buffered
    scheduler.enqueue(items(1, 20));
    expect(scheduler.next(NOW).start).toHaveLength(4);
    for (let i = 0; i < 4; i++) scheduler.finished(1, 1, { ok: true, durationMs: 20 });
    expect(scheduler.slots(1)).toBe(8);
    expect(scheduler.next(NOW).start).toHaveLength(8);
    // A failure that answered quickly (a 500) neither grows nor shrinks the slots.
    scheduler.finished(1, 1, { ok: false, durationMs: 20 });
    expect(scheduler.slots(1)).toBe(8);
    // Slow attempts (here: timeouts) halve them, down to one.
    for (const expected of [4, 2, 1, 1]) {
      scheduler.finished(1, 1, { ok: false, durationMs: 5_000 });
      expect(scheduler.slots(1)).toBe(expected);
    }
    expect(scheduler.next(NOW).start).toEqual([]); // still 3 in flight, one slot now
    // Slow successes count as slow too: it is the slot time that hurts the others.
    scheduler.finished(1, 1, { ok: true, durationMs: 2_500 });
    expect(scheduler.slots(1)).toBe(1);
    // The shrunken webhook holds less: claims see it as using more of the default share.
    const load = scheduler.load();
    expect(load.held[load.busy.indexOf(1)]).toBe(scheduler.held(1) + 8 - 2 * 1);
    expect(load.full).toEqual([1]);
    // Recovery: quick successes add slots again, up to the maximum.
    for (let i = 0; i < 40; i++) scheduler.finished(1, 1, { ok: true, durationMs: 5 });
    expect(scheduler.slots(1)).toBe(16);
  });

  it("with eight hanging webhooks, a healthy one of the same account still finds free slots at once", () => {
    const scheduler = createScheduler<Item>({ concurrency: 64, perEndpointConcurrency: 16, perAccountConcurrency: 32, batchSize: 100, timeoutMs: 5_000, slowAttemptMs: 2_500 });
    const hanging = [1, 2, 3, 4, 5, 6, 7, 8];
    for (const id of hanging) scheduler.enqueue(items(id, 40));
    scheduler.enqueue(items(99, 10));
    const first = scheduler.next(NOW).start;
    expect(first.filter((item) => item.row.webhook_id === 99)).toHaveLength(2); // its first slots, not starved
    expect(scheduler.inFlight()).toBe(18); // 8 × 2 + 2: the hanging ones hold half of the account's 32
    // The healthy one answers quickly: its slots grow, and the account still has room for them.
    for (const item of first.filter((i) => i.row.webhook_id === 99)) scheduler.finished(99, 1, { ok: true, durationMs: 15 });
    expect(scheduler.next(NOW).start.map((item) => item.row.webhook_id)).toEqual([99, 99, 99, 99]);
    // The hanging ones time out: each drops to two slots, then one.
    for (const item of first.filter((i) => i.row.webhook_id !== 99)) scheduler.finished(item.row.webhook_id, 1, { ok: false, durationMs: 5_000 });
    expect(hanging.map((id) => scheduler.slots(id))).toEqual(hanging.map(() => 1));
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
