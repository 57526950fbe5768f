import type { LeasedDelivery } from "../../src/delivery/claimed-row";
import { mayHaveLeftBehind } from "../../src/delivery/pass";
import type { Load } from "../../src/delivery/scheduler";

/** A load with room everywhere: 16 per webhook, 32 per account, nobody busy or full. */
const load = (changes: Partial<Load> = {}): Load => ({
  busy: [],
  held: [],
  full: [],
  room: 64,
  perWebhook: 16,
  accounts: [],
  accountHeld: [],
  fullAccounts: [],
  perAccount: 32,
  ...changes,
});

const claimed = (...rows: Array<[webhookId: number, accountId: number]>): LeasedDelivery[] =>
  rows.map(([webhookId, accountId]) => ({ lease: new Date(), row: { webhook_id: webhookId, account_id: accountId } }) as unknown as LeasedDelivery);

describe("whether a claim may have left due deliveries behind (when to claim again)", () => {
  it("no: it took less than each webhook and account was allowed, and left nobody out", () => {
    expect(mayHaveLeftBehind(claimed([1, 1], [1, 1], [2, 1]), load())).toBe(false);
    expect(mayHaveLeftBehind([], load())).toBe(false);
    // Webhook 1 holds 10 of 16 and got 5: one short of its allowance.
    expect(mayHaveLeftBehind(claimed(...Array.from({ length: 5 }, () => [1, 1] as [number, number])), load({ busy: [1], held: [10], accounts: [1], accountHeld: [10] }))).toBe(false);
  });

  it("yes: a webhook got all it was allowed, though its slots grew while the claim ran", () => {
    // Webhook 1 held 13 of 16 when the claim was made and got 3.
    expect(mayHaveLeftBehind(claimed([1, 1], [1, 1], [1, 1]), load({ busy: [1], held: [13], accounts: [1], accountHeld: [13] }))).toBe(true);
  });

  it("yes: an account got all it was allowed over its webhooks", () => {
    expect(mayHaveLeftBehind(claimed([1, 7], [2, 7]), load({ busy: [3], held: [4], accounts: [7], accountHeld: [30] }))).toBe(true);
  });

  it("yes: the claim left out a full webhook or a full account", () => {
    expect(mayHaveLeftBehind([], load({ full: [4] }))).toBe(true);
    expect(mayHaveLeftBehind([], load({ fullAccounts: [2] }))).toBe(true);
  });
});
