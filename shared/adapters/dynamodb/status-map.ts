/**
 * A node's status as the DynamoDB map `data`, every key stored behind a
 * prefix. The SDK's document client (@aws-sdk/lib-dynamodb and
 * util-dynamodb) copies maps by assignment, `result[key] = value`, and reads
 * `value.constructor` to tell a map from a scalar: a status key "__proto__"
 * vanishes on every write of a whole map and every read, and a key
 * "constructor" makes the whole item fail to marshal. A prefix that no
 * property of Object.prototype starts with keeps every key plain data; it is
 * added on every write and taken off on every read, so the core and the wire
 * never see it.
 */
const PREFIX = '~';

/** The map key a status key is stored under. */
export function storedStatusKey(key: string): string {
  return PREFIX + key;
}

/** The status key a stored map key holds. */
export function statusKeyOf(stored: string): string {
  return stored.startsWith(PREFIX) ? stored.slice(PREFIX.length) : stored;
}

/** A status as the map to store (own properties only, each key prefixed). */
export function storedStatus(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [storedStatusKey(key), value]));
}

/** The status a stored map holds; Object.fromEntries defines own properties, so "__proto__" comes back as data. */
export function statusOfStored(map: unknown): Record<string, string> {
  if (typeof map !== 'object' || map === null) return {};
  return Object.fromEntries(
    Object.entries(map as Record<string, string>).map(([stored, value]) => [statusKeyOf(stored), value]),
  );
}
