import { plainToInstance } from "class-transformer";
import { IsBoolean, Validate, ValidateIf, ValidatorConstraint, validate, type ValidationArguments, type ValidatorConstraintInterface } from "class-validator";
import { ParameterMissingError } from "../errors";
import { isWebhookEvent } from "../types";
import { parseId } from "../ids";
import { MESSAGES, WEBHOOK_ATTRIBUTES, type WebhookAttribute } from "./webhook-messages";
import { parseWebhookUrl } from "./webhook-url";

/** Longest accepted name, in characters (code points, as PostgreSQL's `varchar(255)` counts). */
export const MAX_NAME_LENGTH = 255;
/** Most entries accepted in `subscriptions`, counted before duplicates are dropped. */
export const MAX_SUBSCRIPTIONS = 100;

// NUL cannot be stored in PostgreSQL text; a lone surrogate cannot be encoded as UTF-8.
const UNSTORABLE = /[\u0000\p{Cs}]/u;

@ValidatorConstraint({ name: "webhookUrl" })
class WebhookUrlConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return parseWebhookUrl(value) !== null;
  }
  defaultMessage(): string {
    return MESSAGES.urlInvalid;
  }
}

@ValidatorConstraint({ name: "webhookName" })
class WebhookNameConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isStorableString(value) && [...value].length <= MAX_NAME_LENGTH;
  }
  defaultMessage(args: ValidationArguments): string {
    return isStorableString(args.value) ? MESSAGES.nameTooLong : MESSAGES.nameInvalid;
  }
}

@ValidatorConstraint({ name: "webhookSubscriptions" })
class SubscriptionListConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && value.length > 0 && value.length <= MAX_SUBSCRIPTIONS && value.every(isWebhookEvent);
  }
  defaultMessage(): string {
    return MESSAGES.subscriptionsInvalid;
  }
}

@ValidatorConstraint({ name: "webhookInboxId" })
class InboxIdConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return toInboxId(value) !== null;
  }
  defaultMessage(): string {
    return MESSAGES.inboxInvalid;
  }
}

/**
 * The webhook fields of a request body, validated with class-validator. Values stay `unknown`
 * until validated: they are whatever JSON the client sent. `null` means "none" for `name` and
 * `inbox_id`, and "the default" (create) or "unchanged" (update) for `subscriptions`, as Rails'
 * strong parameters drop a null array in Chatwoot.
 */
export class WebhookInput {
  @Validate(WebhookUrlConstraint)
  url?: unknown;

  @ValidateIf((input: WebhookInput) => input.name !== undefined && input.name !== null)
  @Validate(WebhookNameConstraint)
  name?: unknown;

  @ValidateIf((input: WebhookInput) => input.subscriptions !== undefined && input.subscriptions !== null)
  @Validate(SubscriptionListConstraint)
  subscriptions?: unknown;

  @ValidateIf((input: WebhookInput) => input.inbox_id !== undefined && input.inbox_id !== null)
  @Validate(InboxIdConstraint)
  inbox_id?: unknown;

  @ValidateIf((input: WebhookInput) => input.enabled !== undefined)
  @IsBoolean({ message: MESSAGES.enabledInvalid })
  enabled?: unknown;

  @ValidateIf((input: WebhookInput) => input.ordered !== undefined)
  @IsBoolean({ message: MESSAGES.orderedInvalid })
  ordered?: unknown;
}

/** One failed field, as `ValidationError` takes it. */
export interface FieldFailure {
  attribute: WebhookAttribute;
  message: string;
  /** Why, when Chatwoot's message alone would mislead (see `ValidationError.reason`). */
  reason?: string;
}

/**
 * The columns of a webhook (Chatwoot's, and our `enabled`): Rails' parameter wrapping moves
 * top-level keys with these names under `webhook`, and only these.
 */
const MODEL_COLUMNS: ReadonlySet<string> = new Set(["id", "account_id", "inbox_id", "url", "name", "subscriptions", "webhook_type", "secret", "created_at", "updated_at", "enabled", "ordered"]);

/**
 * The webhook keys of a body, read as Chatwoot's `params.require(:webhook).permit(...)` reads
 * them. The body is `{"webhook": {...}}`, or un-wrapped keys that name webhook columns (Rails'
 * parameter wrapping; `{"url": ...}`, but also `{"secret": ...}`). A `webhook` that is missing,
 * empty or not an object → 422 `param is missing or the value is empty: webhook`. Keys the API
 * does not write (`secret`, `account_id`, `webhook_type`, unknown ones) are then dropped, as strong
 * parameters drop them: an update of only such keys changes nothing and succeeds; a create has
 * no `url` and fails its validation.
 */
export function readWebhookParams(body: unknown): Partial<Record<WebhookAttribute, unknown>> {
  let source: Record<string, unknown>;
  if (isPlainObject(body) && Object.hasOwn(body, "webhook")) {
    if (!isPlainObject(body.webhook) || Object.keys(body.webhook).length === 0) throw new ParameterMissingError("webhook");
    source = body.webhook;
  } else {
    if (!isPlainObject(body) || !Object.keys(body).some((key) => MODEL_COLUMNS.has(key))) throw new ParameterMissingError("webhook");
    source = body;
  }
  const params: Partial<Record<WebhookAttribute, unknown>> = {};
  for (const attribute of WEBHOOK_ATTRIBUTES) {
    if (Object.hasOwn(source, attribute)) params[attribute] = flatten(source[attribute]);
  }
  return params;
}

/**
 * Check the shape of each field (types, formats, lengths). On create `url` is required; on
 * update only the fields present are checked. Returns the DTO and the failures, one per field.
 */
export async function validateWebhookInput(params: Partial<Record<WebhookAttribute, unknown>>, mode: "create" | "update"): Promise<{ input: WebhookInput; failures: FieldFailure[] }> {
  const input = plainToInstance(WebhookInput, params);
  const errors = await validate(input, { skipUndefinedProperties: mode === "update", stopAtFirstError: true, forbidUnknownValues: true });
  const failures = errors.map((error) => ({
    attribute: error.property as WebhookAttribute,
    message: Object.values(error.constraints ?? {})[0] ?? `${error.property} is invalid`,
  }));
  return { input, failures };
}

/** An inbox id from JSON: a positive int4 as a number or a digit string (as Rails casts it), else null. */
export function toInboxId(value: unknown): number | null {
  if (typeof value === "number") return Number.isInteger(value) ? parseId(String(value)) : null;
  return typeof value === "string" ? parseId(value) : null;
}

/**
 * No field takes anything deeper than an array of strings, so deeper values are cut to an empty
 * object (which fails validation just the same): class-transformer would otherwise recurse into
 * whatever nesting the client sent, and a deeply nested body overflows the stack.
 */
function flatten(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (typeof item === "object" && item !== null ? {} : item));
  return typeof value === "object" && value !== null ? {} : value;
}

function isStorableString(value: unknown): value is string {
  return typeof value === "string" && !UNSTORABLE.test(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
