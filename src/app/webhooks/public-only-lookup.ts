/**
 * Where a webhook may be sent (SSRF guard): only to public addresses. Registration refuses URLs
 * whose host is a non-public IP literal or a `localhost` name (hostProblem); delivery resolves the
 * host itself and refuses to connect when any address is non-public (publicOnlyLookup), so the
 * address checked is the address connected to (no DNS-rebinding window between check and use).
 * Config.webhookPrivateTargets (tests only, never from the environment) lifts both checks.
 */
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether an address is public, by ipaddr.js's table of special-purpose ranges (the IANA
 * registries, kept up to date by the library): only its `unicast` range is public. Everything
 * else is refused: private, loopback, link-local, carrier-grade NAT, multicast, broadcast,
 * documentation, benchmarking, 192.88.99.0/24 and the other reserved IPv4 blocks; unique-local,
 * site-local (fec0::/10), discard (100::/64), Teredo (2001::/32) and the rest of 2001::/23,
 * 6to4 (2002::/16), NAT64 (64:ff9b::/96, 64:ff9b:1::/48) and so on for IPv6.
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as its IPv4 address; an IPv4-compatible
 * one (::a.b.c.d, deprecated, not in the library's table) is refused with the rest of ::/96.
 */
function isPublic(ip: string): boolean {
  const parsed = ipaddr.parse(ip);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return isPublic(v6.toIPv4Address().toString());
    if (v6.parts.slice(0, 6).every((p) => p === 0)) return false;
  }
  return parsed.range() === 'unicast';
}

/** True for an IP address (v4 or v6) a webhook must not reach; false for a public one. */
export function isNonPublicAddress(ip: string): boolean {
  // isIP, not ipaddr.isValid: ipaddr also reads forms a URL never resolves to (octal, "1.2.3")
  if (isIP(ip) === 0) throw new TypeError(`not an IP address: ${ip}`);
  return !isPublic(ip);
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
