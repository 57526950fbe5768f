import { AccessToken } from "./access-token";
import { Account } from "./account";
import { AccountUser } from "./account-user";
import { AgentBot } from "./agent-bot";
import { AgentBotInbox } from "./agent-bot-inbox";
import { Attachment } from "./attachment";
import { ChannelApi } from "./channel-api";
import { Contact } from "./contact";
import { ContactInbox } from "./contact-inbox";
import { Conversation } from "./conversation";
import { Inbox } from "./inbox";
import { Message } from "./message";
import { Team } from "./team";
import { User } from "./user";
import { Webhook } from "./webhook";
import { WebhookAttempt } from "./webhook-attempt";
import { WebhookDelivery } from "./webhook-delivery";
import { WebhookEvent } from "./webhook-event";
import { WebhookRecovery } from "./webhook-recovery";

export * from "./access-token";
export * from "./account";
export * from "./account-user";
export * from "./agent-bot";
export * from "./agent-bot-inbox";
export * from "./attachment";
export * from "./channel-api";
export * from "./contact";
export * from "./contact-inbox";
export * from "./conversation";
export * from "./inbox";
export * from "./message";
export * from "./secret-rotation";
export * from "./team";
export * from "./user";
export * from "./webhook";
export * from "./webhook-attempt";
export * from "./webhook-delivery";
export * from "./webhook-event";
export * from "./webhook-recovery";

/** The Chatwoot domain: what payloads are built from (the webhook tables refer to them too). */
export const DOMAIN_ENTITIES = [Account, User, AccountUser, AccessToken, AgentBot, AgentBotInbox, ChannelApi, Inbox, Contact, ContactInbox, Team, Conversation, Message, Attachment] as const;

/** The library's own tables: webhooks, the outbox, deliveries, attempts and bulk recoveries. */
export const WEBHOOK_ENTITIES = [Webhook, WebhookEvent, WebhookDelivery, WebhookAttempt, WebhookRecovery] as const;

/** Every entity the library needs; spread into the host's DataSource `entities`. */
export const ENTITIES = [...DOMAIN_ENTITIES, ...WEBHOOK_ENTITIES];
