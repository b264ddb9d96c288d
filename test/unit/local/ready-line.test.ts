/**
 * The MESH_READY line is a contract between a stack process and whatever
 * launched it: what main.ts prints is what the launcher reads back, under the
 * same name and with the same fields, and any other line is not it.
 */
import { READY_MARKER, type ReadyPayload, formatMarkedLine, formatReadyLine, parseMarkedLine } from '#local/ready-line';

const payload: ReadyPayload = {
  wsUrl: 'ws://127.0.0.1:3001',
  httpUrl: 'http://127.0.0.1:3002/',
  managementUrl: 'http://127.0.0.1:4000/local',
  statsUrl: 'http://127.0.0.1:4000/_local/stats',
  consoleUrl: 'http://127.0.0.1:4000/console/#wsUrl=ws%3A%2F%2F127.0.0.1%3A3001&adminToken=t&statsUrl=x',
  snsUrl: 'http://127.0.0.1:4001',
  dynamodbUrl: 'http://127.0.0.1:8000',
  tableName: 'mesh',
  pid: 1234,
  faultsUrl: 'http://127.0.0.1:4000/_local/faults',
  dynamodbPid: null,
};

test('the line is `MESH_READY {json}` and one newline', () => {
  const line = formatReadyLine(payload);

  expect(READY_MARKER).toBe('MESH_READY');
  expect(line).toBe(`MESH_READY ${JSON.stringify(payload)}\n`);
});

test('what is printed is read back whole', () => {
  const [line] = formatReadyLine(payload).split('\n');

  expect(parseMarkedLine<ReadyPayload>(READY_MARKER, line)).toEqual(payload);
});

test('another line, or another marker, is not the ready line', () => {
  const baseline = formatMarkedLine('BASELINE_READY', { url: 'ws://127.0.0.1:1' }).trimEnd();

  expect(parseMarkedLine(READY_MARKER, 'Mesh local stack is up:')).toBeUndefined();
  expect(parseMarkedLine(READY_MARKER, baseline)).toBeUndefined();
  expect(parseMarkedLine(READY_MARKER, 'MESH_READYX {}')).toBeUndefined();
  expect(parseMarkedLine('BASELINE_READY', baseline)).toEqual({ url: 'ws://127.0.0.1:1' });
});

test('a ready line cut short is an error, not a payload', () => {
  const cut = formatReadyLine(payload).slice(0, 40);

  expect(() => parseMarkedLine(READY_MARKER, cut)).toThrow(SyntaxError);
});
