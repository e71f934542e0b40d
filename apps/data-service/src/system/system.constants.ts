export const SYSTEM_STATUS_TIMEOUT_MS = Symbol('SYSTEM_STATUS_TIMEOUT_MS');

/** How long `GET /system/usage` waits for each service's count (a count of a large table takes a while). */
export const SYSTEM_USAGE_TIMEOUT_MS = Symbol('SYSTEM_USAGE_TIMEOUT_MS');
