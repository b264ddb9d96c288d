/**
 * The frames the protocol fuzz sends, as fast-check arbitraries. A request of
 * each action is drawn from the action's own schema (its JSON Schema, from
 * zod), so a new field or limit is fuzzed the day it is added. Ids are often
 * the fuzzed group's real ones, so requests get past validation and reach the
 * identity and store code. Then most are mutated: a wrong type, an extra or a
 * missing field, `__proto__` / `constructor` keys, lone surrogates, NUL, huge
 * numbers, deep nesting under 32 KB; besides those, binary, empty and
 * non-JSON frames, and now and then one over 32 KB.
 */
import fc from 'fast-check';
import * as z from 'zod';
import { LIMITS, utf8Bytes } from '#shared/protocol/limits';
import { ACTIONS, requestSchemas } from '#shared/protocol/requests';

/** The group the fuzz aims at: ids a generated request uses about half the time. */
export interface FuzzTarget {
  groupId: string;
  domain: string;
  hostId: string;
  nodeId: string;
  nodeToken: string;
}

/** One frame to send: text or binary, and what the draw did to it (shown when a property fails). */
export interface FuzzFrame {
  /** What was done, in general (the fuzz counts outcomes by it). */
  category: string;
  /** What was done, exactly. */
  kind: string;
  data: string | Buffer;
  binary: boolean;
}

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type Json = Record<string, JsonValue>;

interface Schema {
  type?: string;
  const?: JsonValue;
  enum?: JsonValue[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
}

const LONE_SURROGATE = '\ud800';
const SPECIAL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '~', ''];
const HUGE_NUMBERS = [1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 0.5, -1, 2 ** 31, 1e21];
/** Strings drawn for free text stay short: the point is their content, not their length. */
const TEXT_MAX = 40;

/** Every JSON value, small: what a wrong-typed or extra field holds. */
const anyJson: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>;

function isoDate(): fc.Arbitrary<string> {
  return fc
    .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
    .map((date) => date.toISOString());
}

/** Strings a field of this kind might hold: ordinary text, Japanese, emoji, NUL, the target's ids. */
function textFor(name: string, schema: Schema, target: FuzzTarget): fc.Arbitrary<string> {
  if (schema.format === 'date-time') return isoDate();
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? TEXT_MAX, TEXT_MAX);
  const free = fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.max(min, max) });
  const known: Partial<Record<string, string>> = {
    groupId: target.groupId,
    domain: target.domain,
    hostId: target.hostId,
    nodeId: target.nodeId,
    nodeToken: target.nodeToken,
  };
  const real = known[name];
  return real === undefined ? free : fc.oneof(fc.constant(real), free);
}

/** A value the schema accepts (mostly: drawn text may still break a rule zod checks beyond JSON Schema). */
function valueOf(name: string, schema: Schema, target: FuzzTarget): fc.Arbitrary<JsonValue> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((option) => valueOf(name, option, target)));
  switch (schema.type) {
    case 'string':
      return textFor(name, schema, target);
    case 'integer':
    case 'number':
      return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 100_000, 100_000) });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valueOf(name, schema.items ?? {}, target), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 3, 3),
      });
    case 'object':
      return objectOf(schema, target);
    default:
      return anyJson;
  }
}

function objectOf(schema: Schema, target: FuzzTarget): fc.Arbitrary<Json> {
  const required = new Set(schema.required ?? []);
  const entries = Object.entries(schema.properties ?? {});
  const record: Record<string, fc.Arbitrary<JsonValue>> = {};
  for (const [key, property] of entries) record[key] = valueOf(key, property, target);
  return fc.record(record, {
    requiredKeys: entries.map(([key]) => key).filter((key) => required.has(key)),
  }) as fc.Arbitrary<Json>;
}

/** The JSON Schema of every action's request, once. */
const SCHEMAS: Record<string, Schema> = Object.fromEntries(
  ACTIONS.map((action) => [action, z.toJSONSchema(requestSchemas[action], { unrepresentable: 'any' }) as Schema]),
);

/** A request of `action` as its schema describes it. */
export function requestOf(action: string, target: FuzzTarget): fc.Arbitrary<Json> {
  return objectOf(SCHEMAS[action], target);
}

/** A request of any action. */
export function anyRequest(target: FuzzTarget): fc.Arbitrary<Json> {
  return fc.constantFrom(...ACTIONS).chain((action) => requestOf(action, target));
}

/** The keys of a request that hold strings, deep: [path…] lists. */
function stringPaths(value: JsonValue, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringPaths(item, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => stringPaths(item, [...path, key]));
  }
  return [];
}

function setAt(value: Json, path: (string | number)[], replace: (old: JsonValue) => JsonValue): Json {
  const copy = structuredClone(value);
  let node: JsonValue = copy;
  for (const step of path.slice(0, -1)) node = (node as Record<string | number, JsonValue>)[step];
  const last = path[path.length - 1];
  const container = node as Record<string | number, JsonValue>;
  container[last] = replace(container[last]);
  return copy;
}

/** Nested arrays (or objects) this deep, as JSON text. */
function nested(depth: number, objects: boolean): string {
  return objects ? '{"a":'.repeat(depth) + '0' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
}

const text = (category: string, kind: string, data: string): FuzzFrame => ({ category, kind, data, binary: false });

/** A request with one thing wrong (or nothing: some draws stay valid, and may change state). */
function mutated(target: FuzzTarget): fc.Arbitrary<FuzzFrame> {
  return fc.tuple(anyRequest(target), fc.nat(), anyJson, fc.nat({ max: 2_000 })).chain(([request, pick, extra, n]) => {
    const keys = Object.keys(request).filter((key) => key !== 'action');
    const key = keys.length > 0 ? keys[pick % keys.length] : 'action';
    const strings = stringPaths(request).filter((path) => path[0] !== 'action');
    const stringPath = strings.length > 0 ? strings[pick % strings.length] : undefined;
    const special = SPECIAL_KEYS[pick % SPECIAL_KEYS.length];
    const json = JSON.stringify(request);
    const options: FuzzFrame[] = [
      text('valid', 'valid', json),
      text(
        'wrong type',
        `wrong type of ${key}`,
        JSON.stringify({ ...request, [key]: typeof request[key] === 'string' ? 7 : 'x' }),
      ),
      text(
        'extra field',
        `extra field ${JSON.stringify(special)}`,
        `{${JSON.stringify(special)}:${JSON.stringify(extra)},${json.slice(1)}`,
      ),
      text(
        'special key',
        `${JSON.stringify(special)} inside ${key}`,
        JSON.stringify({ ...request, [key]: JSON.parse(`{${JSON.stringify(special)}:1}`) }),
      ),
      text(
        'missing field',
        `missing ${key}`,
        JSON.stringify(Object.fromEntries(Object.entries(request).filter(([k]) => k !== key))),
      ),
      text(
        'huge number',
        `huge number as ${key}`,
        JSON.stringify({ ...request, [key]: HUGE_NUMBERS[pick % HUGE_NUMBERS.length] }),
      ),
      // Last, so it is the value JSON.parse keeps for the key.
      text(
        'deep nesting',
        `deep nesting as ${key}`,
        `${json.slice(0, -1)},"${key}":${nested(100 + n, pick % 2 === 0)}}`,
      ),
    ];
    if (stringPath) {
      const at = stringPath.join('.');
      options.push(
        text(
          'lone surrogate',
          `lone surrogate in ${at}`,
          JSON.stringify(setAt(request, stringPath, (old) => `${String(old)}${LONE_SURROGATE}`)),
        ),
        text('NUL', `NUL in ${at}`, JSON.stringify(setAt(request, stringPath, (old) => `\u0000${String(old)}\u0000`))),
      );
    }
    return fc.constantFrom(...options);
  });
}

/** Frames that are not requests at all. */
const raw: fc.Arbitrary<FuzzFrame> = fc.oneof(
  fc.constant(text('empty', 'empty', '')),
  fc.string({ maxLength: 60 }).map((s) => text('not JSON', 'not JSON', `${s}{`)),
  anyJson.map((value) => text('not a request', 'JSON that is not a request', JSON.stringify(value))),
  fc
    .uint8Array({ maxLength: 200 })
    .map((bytes) => ({ category: 'binary', kind: 'binary bytes', data: Buffer.from(bytes), binary: true })),
  fc.constant({
    category: 'binary',
    kind: 'binary JSON request',
    data: Buffer.from('{"action":"createDomain"}'),
    binary: true,
  }),
);

/** A frame over the 32 KB frame limit: API Gateway closes the connection with 1009. */
const oversize: fc.Arbitrary<FuzzFrame> = fc
  .nat({ max: 1_000 })
  .map((n) =>
    text(
      'over 32 KB',
      'over 32 KB',
      JSON.stringify({ action: 'createDomain', pad: 'x'.repeat(LIMITS.maxClientMessageBytes + n) }),
    ),
  );

/** What the fuzz sends: mostly requests with something wrong, some raw frames, rarely an oversize one. */
export function fuzzFrame(target: FuzzTarget): fc.Arbitrary<FuzzFrame> {
  return fc.oneof(
    { arbitrary: mutated(target), weight: 12 },
    { arbitrary: raw, weight: 3 },
    { arbitrary: oversize, weight: 1 },
  );
}

/** Whether a frame is over the limit (its UTF-8 bytes, or a binary frame's). */
export function isOversize(frame: FuzzFrame): boolean {
  const bytes = typeof frame.data === 'string' ? utf8Bytes(frame.data) : frame.data.length;
  return bytes > LIMITS.maxClientMessageBytes;
}
