import ipaddr from 'ipaddr.js';

/** How a refused range reads in a message ("… points to a loopback address (127.0.0.1)"). */
const LABELS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  carrierGradeNat: 'a carrier-grade NAT address',
  uniqueLocal: 'a unique-local address',
  reserved: 'a reserved address',
};

/** IANA's global unicast block: IPv6 outside it (e.g. the IPv4-compatible ::7f00:1) is not public. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * null when `address` (an IP literal as a resolver or URL gives it, no brackets) is a public unicast address
 * smsdesk may connect to for a user-supplied URL; otherwise what kind of address it is. Only ipaddr.js's
 * `unicast` range passes; an IPv4-mapped IPv6 address is judged as the IPv4 address it reaches; every other
 * IPv4-embedding form (NAT64, 6to4, Teredo, IPv4-compatible) is refused outright. Not an IP: refused.
 */
export function notPublic(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range !== 'unicast') return LABELS[range] ?? `a special-purpose address (${range})`;
  if (ip.kind() === 'ipv6' && !ip.match(GLOBAL_UNICAST_V6)) return LABELS.reserved!;
  return null;
}
