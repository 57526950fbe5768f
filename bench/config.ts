/** Sizes of every scenario; `--quick` picks the small set (whole run well under a minute). */
export interface BenchConfig {
  quick: boolean;
  saveOverhead: {
    /** Interleaved rounds of (saves without the library, saves with it), order alternating. */
    rounds: number;
    /** The same with the dispatcher running during the "with" saves. */
    roundsDispatcherOn: number;
    savesPerRound: number;
    /** Saves of each kind before measuring (JIT, pool, caches). */
    warmupSaves: number;
    conversations: number;
    webhooks: number;
  };
  throughput: {
    messages: number;
    webhooks: number;
    /** Concurrent host "requests" writing the backlog. */
    writers: number;
    /** Real bodies taken from the outbox for the ceiling loop. */
    ceilingBodies: number;
    timeoutMs: number;
  };
  latency: {
    messagesPerSecond: number;
    durationMs: number;
    warmupMessages: number;
    webhooks: number;
  };
  isolation: {
    /** Messages in the backlog; each becomes one delivery per webhook. */
    messages: number;
    webhooks: number;
    /** The dispatcher's attempt timeout (the library's default is 5 s). */
    timeoutMs: number;
    warmupMs: number;
    windowMs: number;
  };
  backlogRss: {
    messages: number;
    webhooks: number;
    timeoutMs: number;
  };
  /** What ordered delivery costs: one backlog drained to an ordered and to an unordered webhook. */
  ordering: {
    messages: number;
    conversations: number;
  };
  /** Healthy endpoints' delays beside hanging ones and beside another account's backlog. */
  fairness: {
    messages: number;
    messagesPerSecond: number;
    /** Due deliveries of the busy account (over 100 webhooks). */
    backlogDeliveries: number;
  };
  /** Messages per conversation in backlogs (a realistic conversation length). */
  messagesPerConversation: number;
}

export function benchConfig(quick: boolean): BenchConfig {
  if (quick) {
    return {
      quick,
      saveOverhead: { rounds: 4, roundsDispatcherOn: 2, savesPerRound: 50, warmupSaves: 50, conversations: 20, webhooks: 3 },
      throughput: { messages: 1000, webhooks: 2, writers: 8, ceilingBodies: 200, timeoutMs: 60_000 },
      latency: { messagesPerSecond: 100, durationMs: 3000, warmupMessages: 20, webhooks: 2 },
      isolation: { messages: 2000, webhooks: 5, timeoutMs: 1000, warmupMs: 500, windowMs: 2500 },
      backlogRss: { messages: 2500, webhooks: 2, timeoutMs: 60_000 },
      fairness: { messages: 40, messagesPerSecond: 20, backlogDeliveries: 5_000 },
      ordering: { messages: 1000, conversations: 100 },
      messagesPerConversation: 50,
    };
  }
  return {
    quick,
    saveOverhead: { rounds: 15, roundsDispatcherOn: 8, savesPerRound: 200, warmupSaves: 200, conversations: 50, webhooks: 3 },
    throughput: { messages: 10_000, webhooks: 2, writers: 8, ceilingBodies: 200, timeoutMs: 300_000 },
    latency: { messagesPerSecond: 100, durationMs: 20_000, warmupMessages: 100, webhooks: 2 },
    isolation: { messages: 15_000, webhooks: 5, timeoutMs: 5000, warmupMs: 1000, windowMs: 10_000 },
    backlogRss: { messages: 50_000, webhooks: 2, timeoutMs: 480_000 },
    fairness: { messages: 200, messagesPerSecond: 20, backlogDeliveries: 100_000 },
    ordering: { messages: 10_000, conversations: 500 },
    messagesPerConversation: 50,
  };
}
