export { createRouter } from "./create-router";
export { tokenAuthenticate } from "./auth";
export { readAccessToken } from "./access-token";
export type { WebhookJson } from "./webhook-json";
export type { AttemptJson, DeliveryDetailJson, DeliveryJson } from "./delivery-json";
