import { createWebhooks } from "../src";
import { absoluteNow } from "./clock";
import type { BenchConfig } from "./config";
import { createBenchDatabase } from "./database";
import { benchLogger, log } from "./progress";
import type { ReceiverProcess } from "./receiver-client";
import { insertBacklog, seedScene } from "./scene";
import { round } from "./stats";

export interface OrderingResult {
  /** Deliveries per second to an ordered webhook over those to an unordered one, same backlog. */
  ratio: number;
  details: Record<string, number>;
}

const SCOPE = "ordering";

/**
 * What ordered delivery costs: the same backlog (`messages` events spread over `conversations`
 * conversations, not yet fanned out) drained to one webhook with `ordered: false`, then to one
 * with `ordered: true` (the order alternates between runs), each in a fresh database, timed until
 * the receiver has answered every delivery.
 */
export async function measureOrdering(config: BenchConfig, receiver: ReceiverProcess, run: number): Promise<OrderingResult> {
  const modes = run % 2 === 0 ? [true, false] : [false, true];
  const rates = new Map<boolean, number>();
  for (const ordered of modes) rates.set(ordered, await drain(config, receiver, ordered));
  const orderedRate = rates.get(true) as number;
  const unorderedRate = rates.get(false) as number;
  return {
    ratio: orderedRate / unorderedRate,
    details: {
      ordering_ordered_per_s: round(orderedRate, 0),
      ordering_unordered_per_s: round(unorderedRate, 0),
      ordering_messages: config.ordering.messages,
      ordering_conversations: config.ordering.conversations,
    },
  };
}

async function drain(config: BenchConfig, receiver: ReceiverProcess, ordered: boolean): Promise<number> {
  const { messages, conversations } = config.ordering;
  const db = await createBenchDatabase(ordered ? "ordering_on" : "ordering_off");
  try {
    const { dataSource } = db;
    const path = `/ord/${ordered ? "on" : "off"}`;
    const scene = await seedScene(dataSource, { conversations, webhookUrls: [`${receiver.url}${path}`] });
    await dataSource.query(`UPDATE webhooks SET ordered = $1`, [ordered]);
    await insertBacklog(dataSource, scene, messages, `ord-${ordered ? "on" : "off"}`);
    await dataSource.query("ANALYZE");
    const webhooks = createWebhooks({ dataSource, allowPrivateNetwork: true, logger: benchLogger(SCOPE) });
    await receiver.reset();
    const started = absoluteNow();
    await webhooks.dispatcher.start();
    try {
      const answeredAt = await receiver.waitFor(path, messages, config.throughput.timeoutMs);
      const rate = messages / ((answeredAt - started) / 1000);
      log(SCOPE, `${ordered ? "ordered" : "unordered"}: ${messages} deliveries over ${conversations} conversations in ${((answeredAt - started) / 1000).toFixed(2)} s, ${rate.toFixed(0)}/s`);
      return rate;
    } finally {
      await webhooks.close();
    }
  } finally {
    await db.drop();
  }
}
