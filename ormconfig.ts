/**
 * DataSource for the TypeORM CLI and local development:
 *   npx typeorm-ts-node-commonjs migration:run -d ormconfig.ts
 * Reads DATABASE_URL (default: the local test database).
 */
import "reflect-metadata";
import { DataSource } from "typeorm";
import { ENTITIES } from "./src/entities";
import { MIGRATIONS } from "./src/migrations";

export default new DataSource({
  type: "postgres",
  url: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
  entities: ENTITIES,
  migrations: MIGRATIONS,
  synchronize: false,
});
