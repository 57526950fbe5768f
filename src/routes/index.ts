export { createRouter } from "./create-router";
export { readAccessToken, tokenAuthenticate } from "./auth";
export type { WebhookJson } from "./webhook-json";
export type { AttemptJson, DeliveryDetailJson, DeliveryJson } from "./delivery-json";
