/** Settings of the demo host app, read once from the environment. */
export interface DemoConfig {
  /** `PORT`, default 3000; 0 picks a free port (the real one is printed). */
  port: number;
  /** `HOST`, default 127.0.0.1. */
  host: string;
  /** `DATABASE_URL`: a PostgreSQL server. When unset, an embedded PGlite database is used. */
  databaseUrl: string | null;
  /** `DATA_DIR`, default `./.data`: where the embedded database keeps its files. */
  dataDir: string;
  /** `DEMO_ADMIN_TOKEN`, `DEMO_AGENT_TOKEN`, `DEMO_OTHER_TOKEN`: access tokens of the seeded users. */
  tokens: DemoTokens;
  /** `LOG_LEVEL`: `debug`, `info` (default), `warn` or `error`. */
  logLevel: LogLevel;
}

export interface DemoTokens {
  admin: string | null;
  agent: string | null;
  other: string | null;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Read and check the environment; throws a sentence naming the bad variable. */
export function readConfig(env: NodeJS.ProcessEnv): DemoConfig {
  const port = env.PORT === undefined || env.PORT === "" ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number between 0 and 65535, got "${env.PORT}".`);
  }
  const logLevel = (env.LOG_LEVEL || "info").toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${env.LOG_LEVEL}".`);
  }
  return {
    port,
    host: env.HOST || "127.0.0.1",
    databaseUrl: env.DATABASE_URL || null,
    dataDir: env.DATA_DIR || "./.data",
    tokens: {
      admin: checkToken("DEMO_ADMIN_TOKEN", env.DEMO_ADMIN_TOKEN),
      agent: checkToken("DEMO_AGENT_TOKEN", env.DEMO_AGENT_TOKEN),
      other: checkToken("DEMO_OTHER_TOKEN", env.DEMO_OTHER_TOKEN),
    },
    logLevel,
  };
}

function checkToken(name: string, value: string | undefined): string | null {
  if (value === undefined || value === "") return null;
  // The token travels in an HTTP header and is stored in a varchar(255).
  if (value.length > 255 || !/^[\x21-\x7e]+$/.test(value)) {
    throw new Error(`${name} must be 1 to 255 printable ASCII characters without spaces.`);
  }
  return value;
}
