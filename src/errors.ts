/**
 * The library's error family. Routes map them to Chatwoot's JSON error shapes; the dispatcher
 * never throws them (delivery failures are data, see `DeliveryOutcome`).
 */
export class WebhooksError extends Error {
  /** HTTP status the router answers with. */
  readonly status: number;
  /** Stable machine-readable code. */
  readonly code: string;
  /** Why, in a sentence, where Chatwoot's message alone would leave a host guessing; answered as an extra `reason` key. */
  readonly reason: string | null;

  constructor(message: string, status: number, code: string, reason: string | null = null) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.reason = reason;
  }
}

/**
 * 422 `{"message": "Url is invalid, ...", "attributes": ["url", ...]}`, plus `"reason"` (ours) when
 * a failure has one Chatwoot's message does not tell, such as a refused private address.
 */
export class ValidationError extends WebhooksError {
  readonly attributes: string[];
  readonly messages: string[];

  constructor(failures: Array<{ attribute: string; message: string; reason?: string }>) {
    const messages = failures.map((failure) => failure.message);
    const reasons = failures.map((failure) => failure.reason).filter((reason): reason is string => !!reason);
    super(messages.join(", "), 422, "validation_failed", reasons.length > 0 ? [...new Set(reasons)].join("; ") : null);
    this.messages = messages;
    this.attributes = [...new Set(failures.map((failure) => failure.attribute))];
  }
}

/** 422 `{"error": "param is missing or the value is empty: webhook"}` (Rails' ParameterMissing). */
export class ParameterMissingError extends WebhooksError {
  constructor(param: string) {
    super(`param is missing or the value is empty: ${param}`, 422, "parameter_missing");
  }
}

/** 404 `{"error": "Resource could not be found"}`: unknown ids and ids of other accounts alike. */
export class NotFoundError extends WebhooksError {
  constructor() {
    super("Resource could not be found", 404, "not_found");
  }
}

/** 401 with one of Chatwoot's sentences. */
export class AuthError extends WebhooksError {
  /** No token at all (or a blank one): answered as Chatwoot's sign-in failure, `{"errors": [message]}`. */
  static signInRequired(): AuthError {
    return new AuthError("You need to sign in or sign up before continuing.", "sign_in_required");
  }
  static invalidToken(): AuthError {
    return new AuthError("Invalid Access Token", "invalid_token");
  }
  static notInAccount(accountId?: number): AuthError {
    const reason = accountId === undefined ? null : `the user is not a member of account ${accountId} (no account_users row); the webhook routes need the role "administrator" there`;
    return new AuthError("You are not authorized to access this account", "not_in_account", reason);
  }
  /** A member without the administrator role: Chatwoot's sentence, plus which role is needed (a host that left `account_users.role` at its default meets this first). */
  static notAdministrator(role?: string): AuthError {
    const reason = role === undefined ? null : `this needs the role "administrator" in the account (account_users.role); the user's role is "${role}"`;
    return new AuthError("You are not authorized to do this action", "not_administrator", reason);
  }
  /** Two spellings of the token header (or a token and a Bearer token) with different values: see `readAccessToken`. */
  static conflictingTokens(): AuthError {
    return new AuthError("Invalid Access Token", "conflicting_tokens");
  }
  /** An agent bot's token on a route that only people may use. */
  static botNotAllowed(): AuthError {
    return new AuthError("Access to this endpoint is not authorized for bots", "bot_not_allowed");
  }

  private constructor(message: string, code: string, reason: string | null = null) {
    super(message, 401, code, reason);
  }
}

/** 400/413 and other request-level faults, answered as `{"error": message}`. */
export class BadRequestError extends WebhooksError {
  constructor(message: string, status = 400, code = "bad_request") {
    super(message, status, code);
  }
}

/** 409 `{"error": ...}`: e.g. a redelivery while the delivery is being attempted. */
export class ConflictError extends WebhooksError {
  constructor(message: string) {
    super(message, 409, "conflict");
  }
}

/** 429 `{"error": ...}` with a `Retry-After` header: a limit that frees up by itself. */
export class TooManyRequestsError extends WebhooksError {
  /** Seconds until trying again makes sense. */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super(message, 429, "too_many_requests");
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}
