import {
  ApiGatewayManagementApiClient,
  ForbiddenException,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { isGone, ManagementApiNotifier } from '#shared/adapters/apigw/notifier';
import { createManagementApiClient } from '#shared/adapters/sdk-clients';

const api = mockClient(ApiGatewayManagementApiClient);

function newNotifier(): ManagementApiNotifier {
  return new ManagementApiNotifier(
    createManagementApiClient('https://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod'),
  );
}

afterEach(() => {
  api.reset();
});

describe('ManagementApiNotifier', () => {
  it('posts the frame as UTF-8 bytes to the connection', async () => {
    api.on(PostToConnectionCommand).resolves({});
    const frame = JSON.stringify({ type: 'message', text: '你好 👋' });

    expect(await newNotifier().post('R2d2CdyqEFAAcYg=', frame)).toBe('sent');

    const input = api.commandCalls(PostToConnectionCommand)[0].args[0].input;
    expect(input.ConnectionId).toBe('R2d2CdyqEFAAcYg=');
    expect(Buffer.from(input.Data as Uint8Array).toString('utf8')).toBe(frame);
  });

  it('answers gone for a GoneException (410)', async () => {
    api.on(PostToConnectionCommand).rejects(new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } }));

    expect(await newNotifier().post('stale', '{}')).toBe('gone');
  });

  it('recognises a GoneException by name and a bare 410 too', () => {
    expect(isGone(Object.assign(new Error('gone'), { name: 'GoneException' }))).toBe(true);
    expect(isGone(Object.assign(new Error('Unknown'), { name: 'Unknown', $metadata: { httpStatusCode: 410 } }))).toBe(
      true,
    );
    expect(isGone(new Error('GoneException'))).toBe(false);
  });

  it('throws any other failure', async () => {
    api
      .on(PostToConnectionCommand)
      .rejects(new ForbiddenException({ message: 'Forbidden', $metadata: { httpStatusCode: 403 } }));

    await expect(newNotifier().post('conn', '{}')).rejects.toBeInstanceOf(ForbiddenException);
  });
});

describe('createManagementApiClient', () => {
  it('targets the given endpoint (API Gateway stage URL)', async () => {
    const client = createManagementApiClient('http://127.0.0.1:3002/local');
    const endpoint = await client.config.endpoint!();

    expect(endpoint).toMatchObject({ protocol: 'http:', hostname: '127.0.0.1', port: 3002, path: '/local' });
  });
});
