/** The console's parameters (console/params.ts): from the hash, from storage, and which wins. */
import { hashOf, parseHash, parseStored, resolveParams } from '../../../console/params';

describe('parseHash', () => {
  it('reads the URL-encoded parameters', () => {
    const hash =
      '#wsUrl=ws%3A%2F%2F127.0.0.1%3A3001&adminToken=abc&statsUrl=http%3A%2F%2F127.0.0.1%3A3000%2F_local%2Fstats';

    expect(parseHash(hash)).toEqual({
      wsUrl: 'ws://127.0.0.1:3001',
      adminToken: 'abc',
      statsUrl: 'http://127.0.0.1:3000/_local/stats',
    });
  });

  it('leaves out empty and unknown parameters', () => {
    expect(parseHash('#wsUrl=&adminToken=%20&other=1')).toEqual({});
    expect(parseHash('')).toEqual({});
  });

  it('reads back what hashOf wrote, a token with reserved characters included', () => {
    const params = { wsUrl: 'wss://x.example/prod', adminToken: 'a+b/c=&d' };

    expect(parseHash(hashOf(params))).toEqual(params);
  });
});

describe('parseStored', () => {
  it('reads the saved parameters and ignores what is not a string', () => {
    expect(parseStored('{"wsUrl":"ws://h","adminToken":"t","statsUrl":3}')).toEqual({
      wsUrl: 'ws://h',
      adminToken: 't',
    });
  });

  it('gives nothing for nothing saved or a text that is not JSON', () => {
    expect(parseStored(null)).toEqual({});
    expect(parseStored('{oops')).toEqual({});
  });
});

describe('resolveParams', () => {
  it('takes the hash over storage', () => {
    const params = resolveParams({ wsUrl: 'ws://h', adminToken: 'new' }, { wsUrl: 'ws://h', adminToken: 'old' });

    expect(params).toEqual({ wsUrl: 'ws://h', adminToken: 'new' });
  });

  it('fills what the hash leaves out from storage saved for the same endpoint', () => {
    expect(resolveParams({ wsUrl: 'ws://h' }, { wsUrl: 'ws://h', adminToken: 't', statsUrl: 'http://s' })).toEqual({
      wsUrl: 'ws://h',
      adminToken: 't',
      statsUrl: 'http://s',
    });
    expect(resolveParams({}, { wsUrl: 'ws://h', adminToken: 't' })).toEqual({ wsUrl: 'ws://h', adminToken: 't' });
  });

  it('does not try a token saved for another endpoint', () => {
    expect(resolveParams({ wsUrl: 'ws://other' }, { wsUrl: 'ws://h', adminToken: 't' })).toBeNull();
  });

  it('asks (null) without a WebSocket URL or a token', () => {
    expect(resolveParams({ adminToken: 't' }, {})).toBeNull();
    expect(resolveParams({ wsUrl: 'ws://h' }, {})).toBeNull();
  });
});
