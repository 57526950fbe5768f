/**
 * A separate dispatcher process for crash tests: `node -r ts-node/register/transpile-only
 * test/helpers/dispatcher-process.ts <database url>`. Prints "ready" once it runs.
 */
import "reflect-metadata";
import { DataSource } from "typeorm";
import { createWebhooks } from "../../src/create-webhooks";
import { ENTITIES } from "../../src/entities";

async function main(): Promise<void> {
  const url = process.argv[2];
  const dataSource = await new DataSource({ type: "postgres", url, entities: ENTITIES, poolSize: 5 }).initialize();
  const webhooks = createWebhooks({
    dataSource,
    allowPrivateNetwork: true,
    timeoutMs: Number(process.env.TIMEOUT_MS ?? 2000),
    leaseMarginMs: Number(process.env.LEASE_MARGIN_MS ?? 500),
    concurrency: Number(process.env.CONCURRENCY ?? 16),
    pollIntervalMs: 100,
    // JSON array of delays (ms), for tests that want quick retries.
    ...(process.env.RETRY_SCHEDULE ? { retrySchedule: JSON.parse(process.env.RETRY_SCHEDULE) as number[], retryJitter: 0 } : {}),
  });
  await webhooks.dispatcher.start();
  process.stdout.write("ready\n");
  const stop = async () => {
    await webhooks.close();
    await dataSource.destroy();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
