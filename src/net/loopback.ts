// The one answer to "is this host the local machine?", for every decision that depends on it:
// bind checks (config), accepted Host names (edge), http redirect URIs at registration and
// remembered consent (oauth). Loopback is all of 127.0.0.0/8, ::1, IPv4-mapped forms of those
// (::ffff:127.x.y.z), and the name `localhost`, in any case, with or without a trailing dot or
// brackets. The host is read the way a browser reads it (WHATWG URL host parsing), so spellings
// such as `127.1`, `0x7f.0.0.1`, `127.0.0.1.` or `[0:0:0:0:0:0:0:1]` count too.

const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** ::1, and ::ffff:7fxx:xxxx — the IPv4-mapped form of 127.0.0.0/8 as the URL parser writes it. */
const IPV6_LOOPBACK = /^(?:::1|::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4})$/;

/** The host as a browser would use it (lower case, IP addresses in their canonical form), or undefined. */
export function canonicalHost(host: string): string | undefined {
  if (!host || /[\s/?#@\\]/.test(host)) return undefined;
  const bracketed = !host.startsWith('[') && host.includes(':') ? `[${host}]` : host;
  const url = URL.parse(`http://${bracketed}/`);
  if (url?.port !== '' || url.username !== '' || url.password !== '') return undefined;
  return url.hostname;
}

/** True when `host` (a name or address, bracketed or not, without a port) is the local machine. */
export function isLoopbackHost(host: string): boolean {
  const h = canonicalHost(host);
  if (!h) return false;
  if (h === 'localhost' || h === 'localhost.') return true;
  if (h.startsWith('[')) return IPV6_LOOPBACK.test(h.slice(1, -1));
  return IPV4_LOOPBACK.test(h);
}
