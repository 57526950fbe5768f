/** Package name and version, sent as `User-Agent` (a unit test keeps it equal to package.json). */
export const PACKAGE_NAME = "chatwoot-webhooks";
export const PACKAGE_VERSION = "0.1.0";
export const USER_AGENT = `${PACKAGE_NAME}/${PACKAGE_VERSION}`;
