/**
 * Where a webhook may be sent (SSRF guard): only to public addresses. Registration refuses URLs
 * whose host is a non-public IP literal or a `localhost` name (hostProblem); delivery resolves the
 * host itself and refuses to connect when any address is non-public (publicOnlyLookup), so the
 * address checked is the address connected to (no DNS-rebinding window between check and use).
 * Config.webhookPrivateTargets (tests only, never from the environment) lifts both checks.
 */
import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1): not routed on the internet, so only internal
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 (broadcast)
] as const) {
  // BlockList also matches the IPv4-mapped IPv6 form (::ffff:a.b.c.d) of an IPv4 subnet
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['::', 96], // IPv4-compatible (::a.b.c.d, deprecated): any IPv4 address behind it
  ['64:ff9b::', 96], // NAT64: reaches the embedded IPv4 address, which may be internal
  ['2002::', 16], // 6to4: likewise
  ['2001:db8::', 32], // documentation
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** True for an IP address (v4 or v6) a webhook must not reach; false for a public one. */
export function isNonPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) throw new TypeError(`not an IP address: ${ip}`);
  return NON_PUBLIC.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** A URL hostname without the brackets of an IPv6 literal. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Why a URL's host (as `new URL().hostname` gives it) cannot be a webhook target without a DNS
 * lookup: a non-public IP literal, or `localhost` / `*.localhost` (RFC 6761). Null otherwise —
 * a name is judged again by the addresses it resolves to when a delivery connects.
 */
export function hostProblem(hostname: string): string | null {
  const host = bareHost(hostname).toLowerCase().replace(/\.$/, '');
  if (isIP(host) !== 0) return isNonPublicAddress(host) ? 'url must not point to a non-public address' : null;
  if (host === 'localhost' || host.endsWith('.localhost')) return 'url must not point to localhost';
  return null;
}

export const NOT_PUBLIC_CODE = 'ENOTPUBLIC';
export const NOT_PUBLIC_MESSAGE = "the endpoint's address is not public";

/** The refusal of a connection to a non-public address. */
export class NotPublicAddressError extends Error {
  override name = 'NotPublicAddressError';
  readonly code = NOT_PUBLIC_CODE;
  constructor() {
    super(NOT_PUBLIC_MESSAGE);
  }
}

/**
 * A `lookup` for net/http/https connections: dns.lookup, failing with NotPublicAddressError when
 * any address the name resolves to is non-public. Node calls it only for names; an IP-literal
 * host is connected to without a lookup, so check it with isNonPublicAddress first.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (e, addresses) => {
    if (e) return callback(e, '');
    if (addresses.some((a) => isNonPublicAddress(a.address)))
      return callback(new NotPublicAddressError(), '');
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first)
      return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    callback(null, first.address, first.family);
  });
};
