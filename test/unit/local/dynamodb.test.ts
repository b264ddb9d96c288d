/**
 * Without a usable Java the stack fails before spawning anything, with a
 * message that says how to install it. (Starting the real engine is proven in
 * stack.test.ts.)
 */
import { JavaMissingError, checkJava } from '#local/dynamodb';

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

test('the installed java is accepted and its version line returned', () => {
  expect(checkJava()).toMatch(/version "\d+/);
});
