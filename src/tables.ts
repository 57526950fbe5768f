import { getMetadataArgsStorage, type DataSource, type QueryRunner } from "typeorm";
import { ENTITIES, WEBHOOK_ENTITIES } from "./entities";
import { AccessToken, Account, AccountUser, AgentBot, AgentBotInbox, Attachment, ChannelApi, Contact, ContactInbox, Conversation, Inbox, Message, Team, User, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookRecovery } from "./entities";

/**
 * Where the library's tables live. Chatwoot's names in the connection's default schema unless the
 * host chose a schema of its own with {@link useLibrarySchema}; raw SQL takes every table name from
 * here (quoted and schema-qualified when needed), never from a literal.
 */
export interface Tables {
  /** The schema the tables are in, or null for the connection's default (`public`). */
  schema: string | null;
  webhooks: string;
  webhookEvents: string;
  webhookDeliveries: string;
  webhookAttempts: string;
  webhookRecoveries: string;
  accounts: string;
  users: string;
  accountUsers: string;
  accessTokens: string;
  agentBots: string;
  agentBotInboxes: string;
  channelApi: string;
  inboxes: string;
  contacts: string;
  contactInboxes: string;
  teams: string;
  conversations: string;
  messages: string;
  attachments: string;
}

const ENTITY_OF = {
  webhooks: Webhook,
  webhookEvents: WebhookEvent,
  webhookDeliveries: WebhookDelivery,
  webhookAttempts: WebhookAttempt,
  webhookRecoveries: WebhookRecovery,
  accounts: Account,
  users: User,
  accountUsers: AccountUser,
  accessTokens: AccessToken,
  agentBots: AgentBot,
  agentBotInboxes: AgentBotInbox,
  channelApi: ChannelApi,
  inboxes: Inbox,
  contacts: Contact,
  contactInboxes: ContactInbox,
  teams: Team,
  conversations: Conversation,
  messages: Message,
  attachments: Attachment,
} as const;

/** A PostgreSQL identifier, quoted. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const cache = new WeakMap<DataSource, Tables>();

/** The library's table names on this DataSource, read once from its entity metadata. */
export function tablesOf(dataSource: DataSource): Tables {
  const known = cache.get(dataSource);
  if (known) return known;
  const schema = librarySchemaOf(dataSource);
  const qualify = (table: string): string => (schema === null ? table : `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`);
  const tables = { schema } as Tables;
  for (const [key, entity] of Object.entries(ENTITY_OF)) {
    (tables as unknown as Record<string, string>)[key] = qualify(dataSource.getMetadata(entity).tableName);
  }
  cache.set(dataSource, tables);
  return tables;
}

/**
 * The schema the library's tables are in on this DataSource: the one {@link useLibrarySchema}
 * chose, or the DataSource's own `schema` option, or null (the connection's default).
 */
export function librarySchemaOf(dataSource: DataSource): string | null {
  const metadata = dataSource.hasMetadata(Webhook) ? dataSource.getMetadata(Webhook) : null;
  const schema = metadata?.schema ?? chosenSchema ?? (dataSource.options as { schema?: string }).schema ?? null;
  return schema && schema !== "public" ? schema : null;
}

let chosenSchema: string | null = null;

/** The schema given to {@link useLibrarySchema} in this thread, or null. */
export function chosenLibrarySchema(): string | null {
  return chosenSchema;
}

/**
 * Puts the library's tables (entities and migrations both) in a PostgreSQL schema of the host's
 * choosing, so that they sit beside the host's own `users` or `messages`. Call it once, before the
 * DataSource is initialized: TypeORM reads entity metadata when it builds the DataSource.
 */
export function useLibrarySchema(schema: string): void {
  if (!/^[a-z_][a-z0-9_$]{0,62}$/.test(schema)) {
    throw new TypeError(`useLibrarySchema: "${schema}" is not a plain lower-case PostgreSQL identifier`);
  }
  if (chosenSchema !== null && chosenSchema !== schema) {
    throw new TypeError(`useLibrarySchema: the library's tables are already in "${chosenSchema}"; one schema per process`);
  }
  chosenSchema = schema;
  const targets = new Set<unknown>([...ENTITIES, ...WEBHOOK_ENTITIES]);
  for (const table of getMetadataArgsStorage().tables) {
    if (targets.has(table.target)) table.schema = schema;
  }
}

/**
 * Runs one of the library's migrations with its objects created in the library's schema: the
 * schema is created if needed and put first on the search path for this migration only (restored
 * after, so the host's migrations that run next in the same transaction are not affected).
 */
export async function inLibrarySchema(queryRunner: QueryRunner, body: () => Promise<void>): Promise<void> {
  const schema = librarySchemaOf(queryRunner.connection);
  if (schema === null) return body();
  const own = !queryRunner.isTransactionActive;
  if (own) await queryRunner.startTransaction();
  try {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    const [{ previous }] = (await queryRunner.query(`SELECT current_setting('search_path') AS previous`)) as Array<{ previous: string }>;
    await queryRunner.query(`SELECT set_config('search_path', $1, true)`, [`${quoteIdentifier(schema)}, public`]);
    await body();
    await queryRunner.query(`SELECT set_config('search_path', $1, true)`, [previous]);
    if (own) await queryRunner.commitTransaction();
  } catch (error) {
    if (own) await queryRunner.rollbackTransaction();
    throw error;
  }
}

const statements = new WeakMap<Tables, Map<(tables: Tables) => string, string>>();

/** A statement's text for these tables, built once (so named prepared statements and plan caches see one text). */
export function statement(tables: Tables, build: (tables: Tables) => string): string {
  let built = statements.get(tables);
  if (!built) statements.set(tables, (built = new Map()));
  let text = built.get(build);
  if (text === undefined) built.set(build, (text = build(tables)));
  return text;
}

/** `statement()` bound to one DataSource's tables: `sql(CLAIM_DELIVERIES)`. */
export function statementsOf(dataSource: DataSource): (build: (tables: Tables) => string) => string {
  const tables = tablesOf(dataSource);
  return (build) => statement(tables, build);
}
