import { EventEmitter } from "node:events";

/** What the driver reads of a PGlite result. */
interface Results {
  rows: unknown[];
  fields: Array<{ name: string; dataTypeID: number }>;
  affectedRows?: number;
}

type Parsers = Record<number, (value: string, typeId: number) => unknown>;

/**
 * The part of PGlite's API the driver uses. Declared here rather than imported, so a host without
 * the optional `@electric-sql/pglite` still type-checks this package's declarations.
 */
export interface PGliteLike {
  query(text: string, params?: unknown[], options?: { parsers?: Parsers }): Promise<Results>;
  exec(text: string, options?: { parsers?: Parsers }): Promise<Results[]>;
}

// pg's own value serialisation (Dates, arrays, JSON), so parameters reach PGlite exactly as they
// would reach a PostgreSQL server over the wire.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require("pg/lib/utils") as { prepareValue(value: unknown): unknown };

const INT8_OID = 20;
const NUMERIC_OID = 1700;
/** Match `pg`: bigint and numeric come back as strings, so entities behave the same on both. */
const PARSERS = { [INT8_OID]: (value: string) => value, [NUMERIC_OID]: (value: string) => value };

interface PgLikeResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: Array<{ name: string; dataTypeID: number }>;
}

/** The `pg.Client` subset TypeORM's postgres driver calls. */
class PGliteClient extends EventEmitter {
  constructor(private readonly db: PGliteLike) {
    super();
  }

  async query(text: string, params?: unknown[], callback?: (error: Error | null, result?: PgLikeResult) => void): Promise<PgLikeResult> {
    try {
      const result = toPgResult(await this.run(text, params));
      callback?.(null, result);
      return result;
    } catch (error) {
      if (callback) {
        callback(error as Error);
        return undefined as never;
      }
      throw error;
    }
  }

  private async run(text: string, params?: unknown[]): Promise<Results> {
    if (params && params.length > 0) {
      return this.db.query(text, params.map((value) => prepareValue(value)), { parsers: PARSERS });
    }
    // Without parameters pg uses the simple protocol, which accepts several statements.
    const results = await this.db.exec(text, { parsers: PARSERS });
    return results[results.length - 1] ?? { rows: [], fields: [], affectedRows: 0 };
  }
}

function toPgResult(result: Results): PgLikeResult {
  const command = (result as Results & { command?: string }).command ?? "";
  return {
    rows: result.rows,
    rowCount: result.affectedRows ?? result.rows.length,
    command,
    fields: result.fields,
  };
}

type ConnectCallback = (error: Error | null, client?: PGliteClient, release?: (error?: unknown) => void) => void;

/**
 * A `pg.Pool` stand-in over one PGlite instance. PGlite is a single session, so the pool lends
 * it to one TypeORM query runner at a time: a transaction on one runner can never interleave
 * with statements of another. Waiting runners queue in order.
 */
class PGlitePool extends EventEmitter {
  private readonly client: PGliteClient;
  private held = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly db: PGliteLike) {
    super();
    this.client = new PGliteClient(db);
  }

  connect(callback?: ConnectCallback): Promise<PGliteClient & { release(): void }> | void {
    const lend = (): Promise<[PGliteClient, (error?: unknown) => void]> =>
      new Promise((resolve) => {
        const grant = () => {
          this.held = true;
          let released = false;
          resolve([
            this.client,
            () => {
              if (released) return;
              released = true;
              this.handOver();
            },
          ]);
        };
        if (this.held) this.waiting.push(grant);
        else grant();
      });
    if (callback) {
      lend().then(([client, release]) => callback(null, client, release), (error: Error) => callback(error));
      return;
    }
    return lend().then(([client, release]) => Object.assign(client, { release }));
  }

  async query(text: string, params?: unknown[]): Promise<PgLikeResult> {
    const client = (await this.connect()) as PGliteClient & { release(): void };
    try {
      return await client.query(text, params);
    } finally {
      client.release();
    }
  }

  end(callback?: (error?: Error | null) => void): Promise<void> {
    // The PGlite instance belongs to whoever created it; the pool only stops lending it.
    callback?.(null);
    return Promise.resolve();
  }

  private handOver(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }
}

/**
 * A driver module for TypeORM's `postgres` type that runs on an embedded PGlite database:
 *
 * ```ts
 * const db = await PGlite.create("./.data");
 * new DataSource({ type: "postgres", driver: pgliteDriver(db), entities: [...ENTITIES] });
 * ```
 *
 * PGlite has no `LISTEN` across processes; the dispatcher notices this driver and relies on its
 * in-process wake-up and polling instead.
 */
export function pgliteDriver(db: PGliteLike): { Pool: new () => PGlitePool; embedded: true } {
  return {
    Pool: class extends PGlitePool {
      constructor() {
        super(db);
      }
    },
    embedded: true,
  };
}

/** True when the DataSource runs on {@link pgliteDriver}. */
export function isEmbeddedDriver(driverModule: unknown): boolean {
  return typeof driverModule === "object" && driverModule !== null && (driverModule as { embedded?: unknown }).embedded === true;
}
