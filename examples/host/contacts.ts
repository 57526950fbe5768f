import { randomUUID } from "node:crypto";
import type { Request, Response } from "express";
import type { DataSource } from "typeorm";
import { Contact, ContactInbox, Inbox } from "../../src";
import { memberOf } from "./auth";
import { randomToken } from "../random-token";
import { notFound, unprocessable } from "./http-errors";
import { bodyObject, optionalObject, optionalString, toId } from "./params";
import { contactJson, inboxJson } from "./serializers";

// A pragmatic address check (one @, no spaces, a dot in the domain), close to what Chatwoot accepts.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Chatwoot stores phone numbers in E.164.
const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * `POST /accounts/:account_id/contacts` body `{name, email?, phone_number?, identifier?,
 * additional_attributes?, custom_attributes?, inbox_id?}` → `{"payload":{"contact":...,
 * "contact_inbox":{inbox, source_id}}}`. The insert is what produces `contact_created`.
 */
export function createContact(dataSource: DataSource) {
  return async (req: Request, res: Response) => {
    const { accountId } = memberOf(res);
    const body = bodyObject(req.body);
    const name = optionalString(body, "name", 255) ?? "";
    const email = optionalString(body, "email", 255)?.trim().toLowerCase() || null;
    const phoneNumber = optionalString(body, "phone_number", 64)?.trim() || null;
    const identifier = optionalString(body, "identifier", 255) || null;
    const additionalAttributes = optionalObject(body, "additional_attributes") ?? {};
    const customAttributes = optionalObject(body, "custom_attributes") ?? {};
    if (email !== null && !EMAIL.test(email)) throw unprocessable("Email Invalid email");
    if (phoneNumber !== null && !E164.test(phoneNumber)) throw unprocessable("Phone number should be in e164 format");

    let inbox: Inbox | null = null;
    if (body.inbox_id !== undefined && body.inbox_id !== null && body.inbox_id !== "") {
      const inboxId = toId(body.inbox_id);
      inbox = inboxId === null ? null : await dataSource.getRepository(Inbox).findOneBy({ id: inboxId, accountId });
      if (!inbox) throw notFound();
    }
    if (email !== null && (await dataSource.getRepository(Contact).existsBy({ accountId, email }))) {
      throw unprocessable("Email has already been taken");
    }

    const { contact, contactInbox } = await dataSource.transaction(async (manager) => {
      const contact = await manager.save(Contact, manager.create(Contact, { accountId, name, email, phoneNumber, identifier, additionalAttributes, customAttributes }));
      const contactInbox = inbox ? await manager.save(ContactInbox, manager.create(ContactInbox, { contactId: contact.id, inboxId: inbox.id, sourceId: randomUUID(), pubsubToken: randomToken() })) : null;
      return { contact, contactInbox };
    });
    res.json({
      payload: {
        contact: contactJson(contact, contactInbox && inbox ? [{ contactInbox, inbox }] : []),
        contact_inbox: { inbox: inbox ? inboxJson(inbox) : null, source_id: contactInbox?.sourceId ?? null },
      },
    });
  };
}
