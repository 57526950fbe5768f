import { plainToInstance } from "class-transformer";
import { Validate, ValidateIf, ValidatorConstraint, validate, type ValidationArguments, type ValidatorConstraintInterface } from "class-validator";
import { ParameterMissingError, ValidationError } from "../errors";
import type { AddressPolicy } from "../security/address-policy";
import { isAcceptedTargetUrl, PRIVATE_ADDRESS_REASON } from "./target-url";
import { parseWebhookUrl } from "./webhook-url";

/** The agent-bot fields a request may set, in the order failures are listed. */
export const AGENT_BOT_ATTRIBUTES = ["name", "description", "outgoing_url", "bot_type", "bot_config"] as const;
type AgentBotAttribute = (typeof AGENT_BOT_ATTRIBUTES)[number];

const MAX_NAME_LENGTH = 255;
const MAX_DESCRIPTION_LENGTH = 2000;
/** Largest `bot_config`, as JSON text. */
const MAX_CONFIG_BYTES = 16 * 1024;
// NUL cannot be stored in PostgreSQL text; a lone surrogate cannot be encoded as UTF-8.
const UNSTORABLE = /[\u0000\p{Cs}]/u;

export const AGENT_BOT_MESSAGES = {
  nameBlank: "Name can't be blank",
  nameTooLong: `Name is too long (maximum is ${MAX_NAME_LENGTH} characters)`,
  descriptionInvalid: `Description is too long (maximum is ${MAX_DESCRIPTION_LENGTH} characters)`,
  outgoingUrlInvalid: "Outgoing url is invalid",
  botTypeInvalid: "Bot type is not included in the list",
  botConfigInvalid: "Bot config is invalid",
} as const;

const isStorable = (value: unknown): value is string => typeof value === "string" && !UNSTORABLE.test(value);

@ValidatorConstraint({ name: "agentBotName" })
class NameConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isStorable(value) && value.trim() !== "" && [...value].length <= MAX_NAME_LENGTH;
  }
  defaultMessage(args: ValidationArguments): string {
    return isStorable(args.value) && args.value.trim() !== "" ? AGENT_BOT_MESSAGES.nameTooLong : AGENT_BOT_MESSAGES.nameBlank;
  }
}

@ValidatorConstraint({ name: "agentBotDescription" })
class DescriptionConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isStorable(value) && [...value].length <= MAX_DESCRIPTION_LENGTH;
  }
  defaultMessage(): string {
    return AGENT_BOT_MESSAGES.descriptionInvalid;
  }
}

@ValidatorConstraint({ name: "agentBotUrl" })
class OutgoingUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return value === "" || parseWebhookUrl(value) !== null;
  }
  defaultMessage(): string {
    return AGENT_BOT_MESSAGES.outgoingUrlInvalid;
  }
}

@ValidatorConstraint({ name: "agentBotType" })
class BotTypeConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return value === "webhook" || value === 0 || value === "0";
  }
  defaultMessage(): string {
    return AGENT_BOT_MESSAGES.botTypeInvalid;
  }
}

@ValidatorConstraint({ name: "agentBotConfig" })
class BotConfigConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const text = JSON.stringify(value);
    return Buffer.byteLength(text) <= MAX_CONFIG_BYTES && !/\\u0000/.test(text);
  }
  defaultMessage(): string {
    return AGENT_BOT_MESSAGES.botConfigInvalid;
  }
}

/** An agent bot's fields as a client sent them, validated with class-validator. `null` clears the optional ones. */
class AgentBotInput {
  @Validate(NameConstraint)
  name?: unknown;

  @ValidateIf((input: AgentBotInput) => input.description !== undefined && input.description !== null)
  @Validate(DescriptionConstraint)
  description?: unknown;

  @ValidateIf((input: AgentBotInput) => input.outgoing_url !== undefined && input.outgoing_url !== null)
  @Validate(OutgoingUrlConstraint)
  outgoing_url?: unknown;

  @ValidateIf((input: AgentBotInput) => input.bot_type !== undefined && input.bot_type !== null)
  @Validate(BotTypeConstraint)
  bot_type?: unknown;

  @ValidateIf((input: AgentBotInput) => input.bot_config !== undefined && input.bot_config !== null)
  @Validate(BotConfigConstraint)
  bot_config?: unknown;
}

/** What a valid create or update sets; absent keys stay as they are. */
export interface AgentBotChanges {
  name?: string;
  description?: string | null;
  outgoingUrl?: string | null;
  botConfig?: Record<string, unknown>;
}

/**
 * Read and validate an agent-bot body: `{"agent_bot": {...}}` or the same keys at the top level
 * (Rails' parameter wrapping); other keys (`account_id`, `secret`, `access_token`) are ignored.
 * `name` is required on create. `outgoing_url` must be an http(s) URL like a webhook's, and a
 * literal private address is refused under the same address policy; `""` or null clears it.
 */
export async function resolveAgentBotChanges(body: unknown, mode: "create" | "update", policy: AddressPolicy): Promise<AgentBotChanges> {
  const source = isPlainObject(body) && isPlainObject(body.agent_bot) ? body.agent_bot : body;
  const params: Partial<Record<AgentBotAttribute, unknown>> = {};
  if (isPlainObject(source)) {
    for (const attribute of AGENT_BOT_ATTRIBUTES) if (Object.hasOwn(source, attribute)) params[attribute] = source[attribute];
  }
  if (Object.keys(params).length === 0) throw new ParameterMissingError("agent_bot");
  const input = plainToInstance(AgentBotInput, params);
  const errors = await validate(input, { skipUndefinedProperties: mode === "update", stopAtFirstError: true, forbidUnknownValues: true });
  const failures: Array<{ attribute: string; message: string; reason?: string }> = errors.map((error) => ({ attribute: error.property, message: Object.values(error.constraints ?? {})[0] ?? `${error.property} is invalid` }));
  const url = typeof input.outgoing_url === "string" && input.outgoing_url !== "" ? input.outgoing_url : null;
  if (url !== null && !failures.some((failure) => failure.attribute === "outgoing_url") && !isAcceptedTargetUrl(url, policy)) {
    failures.push({ attribute: "outgoing_url", message: AGENT_BOT_MESSAGES.outgoingUrlInvalid, reason: PRIVATE_ADDRESS_REASON });
  }
  if (failures.length > 0) {
    failures.sort((a, b) => AGENT_BOT_ATTRIBUTES.indexOf(a.attribute as AgentBotAttribute) - AGENT_BOT_ATTRIBUTES.indexOf(b.attribute as AgentBotAttribute));
    throw new ValidationError(failures);
  }
  const changes: AgentBotChanges = {};
  if (input.name !== undefined) changes.name = (input.name as string).trim();
  if (input.description !== undefined) changes.description = (input.description as string | null) ?? null;
  if (input.outgoing_url !== undefined) changes.outgoingUrl = url;
  if (input.bot_config !== undefined) changes.botConfig = (input.bot_config as Record<string, unknown> | null) ?? {};
  return changes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
