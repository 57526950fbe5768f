import type { DataSource } from "typeorm";
import type { Tables } from "../tables";
import { statementsOf } from "../tables";

/** An attempt that followed redirects, as the recorder has it once written. */
export interface RedirectedAttempt {
  deliveryId: string;
  attemptedAt: Date;
  finalUrl?: string | null;
}

/**
 * Put each redirected attempt's final URL on its row in the attempt log. Runs after the batch
 * that inserted the rows, only when some attempt of it was redirected (rare), so the batch's own
 * statement stays as it is; idempotent, like that statement, when a batch is written again.
 */
const RECORD_FINAL_URLS = (t: Tables): string => `
UPDATE ${t.webhookAttempts} a
SET final_url = f.url
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS f(delivery_id, attempted_at, url)
WHERE a.delivery_id = f.delivery_id AND a.attempted_at = f.attempted_at AND a.final_url IS NULL`;

/** Record the final URLs of a written batch's redirected attempts (nothing to do, no query). */
export async function recordFinalUrls(dataSource: DataSource, attempts: readonly RedirectedAttempt[]): Promise<void> {
  const redirected = attempts.filter((attempt) => typeof attempt.finalUrl === "string");
  if (redirected.length === 0) return;
  await dataSource.query(statementsOf(dataSource)(RECORD_FINAL_URLS), [
    redirected.map((attempt) => attempt.deliveryId),
    redirected.map((attempt) => attempt.attemptedAt),
    redirected.map((attempt) => attempt.finalUrl),
  ]);
}
