/**
 * The "auto" domain of createDomain: where a school's groups are found. Mesh
 * v2 used the caller's public IP as it is, so anyone who knew a school's
 * address could list its groups, and every client saw its own address. Here
 * the domain is a keyed hash of the address's network, with a secret of the
 * deployment (MESH_DOMAIN_SECRET): the same network gets the same domain
 * while the secret stays, nobody without the secret can work out the domain
 * of an address, and no reply carries the address.
 *
 * The network: an IPv4 address as it is (a school's pupils share one public
 * address behind its NAT); an IPv6 address by its /64 prefix, since each
 * device of one network has addresses of its own within it (privacy
 * extensions), and a class must still land in one domain.
 */
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** Hex characters of a domain: 128 bits of the HMAC, so two networks never meet by chance. */
const DOMAIN_HEX_CHARS = 32;

/** The domain of a caller's source address. */
export function sourceDomain(sourceIp: string, secret: string): string {
  return createHmac('sha256', secret).update(networkOf(sourceIp), 'utf8').digest('hex').slice(0, DOMAIN_HEX_CHARS);
}

/** The network an address stands for: IPv4 as it is, IPv6 as its /64 prefix, anything else as it is. */
export function networkOf(sourceIp: string): string {
  const address = sourceIp.split('%')[0];
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(address)) return address;
  if (isIPv6(address)) return `${hextets(address).slice(0, 4).join(':')}::/64`;
  return sourceIp;
}

/** The eight 16-bit groups of a valid IPv6 address, in lowercase hex without leading zeros. */
function hextets(address: string): string[] {
  // A trailing dotted quad (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = quad
    ? address.slice(0, quad.index) +
      [((+quad[1] << 8) | +quad[2]).toString(16), ((+quad[3] << 8) | +quad[4]).toString(16)].join(':')
    : address;
  const [head, tail] = text.split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - front.length - back.length).fill('0');
  return [...front, ...zeros, ...back].map((group) => parseInt(group, 16).toString(16));
}
