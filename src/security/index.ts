export { ADDRESS_FORBIDDEN, AddressForbiddenError } from "./address-forbidden-error";
export { createAddressGuard, guardLookup, type AddressGuard, type AddressGuardOptions } from "./address-guard";
export { forbiddenLiteralHost, isForbiddenAddress, parseAllowedCidrs, type AddressPolicy } from "./address-policy";
export { BASE58_ALPHABET, generateSecret, SECRET_LENGTH } from "./secret";
export { chatwootSignature, signatureHeaders, standardWebhookSignature, verifyChatwootSignature, type SignatureInput } from "./signature";
