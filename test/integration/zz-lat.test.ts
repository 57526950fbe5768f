import { Message } from "../../src/entities";
import { createTestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver } from "../helpers/receiver";
import { createWebhooks } from "../../src";

it("latency probe", async () => {
  const db = await createTestDatabase("lat");
  const receiver = await startReceiver();
  const webhooks = createWebhooks({ dataSource: db.dataSource, allowPrivateNetwork: true, notify: process.env.NOTIFY !== "0" });
  const scene = await makeScene(db.dataSource);
  for (let i = 0; i < 3; i++) await makeWebhook(db.dataSource, scene.account.id, receiver.url + "/" + i);
  await webhooks.dispatcher.start();
  const committed = new Map<string, number>();
  for (let i = 0; i < 100; i++) {
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "m" + i }));
    committed.set("m" + i, Date.now());
    await new Promise((r) => setTimeout(r, 10));
  }
  await receiver.waitFor(300, 10000);
  const lat = receiver.requests.map((r) => r.receivedAt - (committed.get(JSON.parse(r.body).content) ?? 0)).sort((a, b) => a - b);
  console.log("p50", lat[Math.floor(lat.length / 2)], "p99", lat[Math.floor(lat.length * 0.99)], "max", lat[lat.length - 1]);
  await webhooks.close(); await receiver.close(); await db.drop();
}, 60000);
