/**
 * What a node is bound to, and so who may act as it without more proof.
 *
 * Over a WebSocket it is the connection: requests from it act as its node,
 * and the fan-out posts the group's pushes to it. Over HTTPS there is no
 * connection, so the node's token takes its place: a node created or taken
 * over by an HTTPS request is bound to `token#{tokenHash}`, and an HTTPS
 * request that presents a token is a caller whose connectionId is that same
 * binding. Every check and conditional write that compares a node's binding
 * with the caller's (requireOwnNode, updateNode, releaseSeqs) then holds
 * unchanged for polling nodes, and a wrong token is a binding no node has.
 *
 * An HTTPS request without a token acts as no node: its binding is
 * `anonymous#{sourceIp}`, which no node is ever bound to (a node created by
 * such a request gets its new token's binding). No binding is ever null, so a
 * node whose connection closed (connectionId null) matches no caller.
 */
import type { Caller, Principal } from './model';
import { hashNodeToken } from './node-tokens';

const TOKEN_BINDING = 'token#';
const ANONYMOUS_BINDING = 'anonymous#';

/** The binding of a node that polls, from its token's hash. */
export function tokenBinding(tokenHash: string): string {
  return `${TOKEN_BINDING}${tokenHash}`;
}

/**
 * Whether the binding is a token's: a polling node, which the fan-out has no
 * connection to post to (it reads the group's log instead). API Gateway's
 * connection ids never hold a '#'.
 */
export function isTokenBinding(connectionId: string): boolean {
  return connectionId.startsWith(TOKEN_BINDING);
}

/** The caller of an HTTPS request: bound to the token it presents, or to nothing. */
export function httpsCaller(request: { nodeToken?: string }, sourceIp: string, principal?: Principal): Caller {
  const connectionId =
    request.nodeToken === undefined
      ? `${ANONYMOUS_BINDING}${sourceIp}`
      : tokenBinding(hashNodeToken(request.nodeToken));
  return { connectionId, sourceIp, overHttps: true, ...(principal === undefined ? {} : { principal }) };
}

/** What a node created now for `caller` is bound to: its connection, or over HTTPS its new token. */
export function newNodeBinding(caller: Caller, tokenHash: string): string {
  return caller.overHttps ? tokenBinding(tokenHash) : caller.connectionId;
}
