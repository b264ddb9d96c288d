/**
 * The installed Java, as the stack checks it before spawning DynamoDB Local
 * (local/dynamodb.ts). Here, not in the unit tests, because it runs
 * `java -version`.
 */
import { checkJava } from '#local/dynamodb';

test('the installed java is accepted and its version line returned', () => {
  expect(checkJava()).toMatch(/version "\d+/);
});
