/**
 * Limits of wire protocol v1. One place states them; the request schemas, the
 * core, the local stack, the client SDK and the docs all read them from here.
 */
export const LIMITS = {
  /** API Gateway closes a connection (1009) on a client frame over 32 KB. */
  maxClientMessageBytes: 32 * 1024,
  /** API Gateway's limit on one server → client message (route reply or push). */
  maxServerMessageBytes: 128 * 1024,
  /** Replies and pushes are kept under this, leaving room for the envelope. */
  maxPushPayloadBytes: 120 * 1024,
  /** SNS message limit is 256 KiB; PublishBatch: 10 entries, 256 KiB in all. */
  maxSnsBatchEntries: 10,
  maxSnsBatchBytes: 256 * 1024,
  /** As Mesh v2. */
  maxDomainLength: 256,
  maxRequestIdLength: 64,
  maxGroupIdLength: 64,
  maxNodeIdLength: 128,
  maxNameLength: 256,
  /** searchGroupsByNamePrefix, as Mesh v2's successor: a prefix of 1 to 6 characters, and at most 10 groups. */
  maxNamePrefixLength: 6,
  maxSearchResults: 10,
  maxStatusKeyLength: 256,
  maxStatusValueLength: 4096,
  maxStatusKeysPerReport: 256,
  /** UTF-8 bytes of a node's merged status map as JSON. */
  maxStatusBytesPerNode: 16 * 1024,
  maxEventsPerBatch: 1000,
  maxEventNameLength: 256,
  maxEventPayloadLength: 8192,
  /** Page size bound for list replies, in UTF-8 bytes of `data`. */
  maxListPageBytes: 96 * 1024,
  maxNextTokenLength: 1024,
  /** The server issues 43-character tokens; the field takes a little more, not a page of text. */
  maxNodeTokenLength: 128,
  /** A sender's order string of an event (the extension's are 22 characters). */
  maxOrderKeyLength: 64,
  /** A log cursor (`since`, `nextSince`): the mesh's are far shorter. */
  maxCursorLength: 64,
} as const;

const encoder = new TextEncoder();

/** UTF-8 byte length of a string (works in Node and browsers). */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** Half of a UTF-16 surrogate pair standing alone (the `u` flag reads a whole pair as one code point). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Whether a string is well-formed Unicode: no lone surrogate. JSON can carry
 * one (`"x\ud800"`), but UTF-8 cannot encode it, so the store would keep a
 * string that no longer reads back; every string the protocol takes must pass.
 */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
