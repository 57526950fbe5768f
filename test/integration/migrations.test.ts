import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { Account, Contact, Conversation, Inbox } from "../../src/entities";
import { MIGRATIONS } from "../../src/migrations";

describe("migrations", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase("migrations");
  });

  afterAll(async () => {
    await db.drop();
  });

  it("create exactly the schema the entities describe", async () => {
    const sql = await db.dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((query) => query.query)).toEqual([]);
  });

  it("assign conversation display ids per account", async () => {
    const manager = db.dataSource.manager;
    const [a, b] = await manager.save(Account, [{ name: "A" }, { name: "B" }]);
    const inboxA = await manager.save(Inbox, { accountId: a.id, name: "Web", channelType: "Channel::WebWidget" });
    const inboxB = await manager.save(Inbox, { accountId: b.id, name: "Web", channelType: "Channel::WebWidget" });
    const contactA = await manager.save(Contact, { accountId: a.id, name: "Jane" });
    const contactB = await manager.save(Contact, { accountId: b.id, name: "John" });
    const first = await manager.save(Conversation, manager.create(Conversation, { accountId: a.id, inboxId: inboxA.id, contactId: contactA.id }));
    const second = await manager.save(Conversation, manager.create(Conversation, { accountId: a.id, inboxId: inboxA.id, contactId: contactA.id }));
    const other = await manager.save(Conversation, manager.create(Conversation, { accountId: b.id, inboxId: inboxB.id, contactId: contactB.id }));
    expect([first.displayId, second.displayId, other.displayId]).toEqual([1, 2, 1]);
  });

  it("go down and up again on the same database", async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await db.dataSource.undoLastMigration();
    const tables = await db.dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`);
    expect(tables).toEqual([]);
    await db.dataSource.runMigrations();
    const after = await db.dataSource.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`);
    expect(after[0].n).toBe(19);
  });
});
