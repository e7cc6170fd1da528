// Which webhook targets the gateway may call. A URL a user chose must not make the Worker a probe of the
// network it runs in (loopback, private ranges, cloud metadata at 169.254.169.254), so such hosts are
// refused unless the deployment allows private targets (local development). Workers cannot resolve DNS
// themselves, so a public name that resolves to a private address is not caught here; names that are
// private by convention (localhost, *.local, *.internal, single labels) are.

/** Why a host is not a public Internet host, or 'public'. */
export type HostClass = 'public' | 'loopback' | 'private' | 'link-local' | 'shared' | 'unspecified' | 'reserved' | 'local-name';

type Range = readonly [base: number, bits: number, cls: Exclude<HostClass, 'public' | 'local-name'>];

const ipv4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

const IPV4_RANGES: readonly Range[] = [
  [ipv4(0, 0, 0, 0), 8, 'unspecified'],
  [ipv4(10, 0, 0, 0), 8, 'private'],
  [ipv4(100, 64, 0, 0), 10, 'shared'],
  [ipv4(127, 0, 0, 0), 8, 'loopback'],
  [ipv4(169, 254, 0, 0), 16, 'link-local'],
  [ipv4(172, 16, 0, 0), 12, 'private'],
  [ipv4(192, 0, 0, 0), 24, 'reserved'],
  [ipv4(192, 0, 2, 0), 24, 'reserved'],
  [ipv4(192, 168, 0, 0), 16, 'private'],
  [ipv4(198, 18, 0, 0), 15, 'reserved'],
  [ipv4(198, 51, 100, 0), 24, 'reserved'],
  [ipv4(203, 0, 113, 0), 24, 'reserved'],
  [ipv4(224, 0, 0, 0), 4, 'reserved'],
  [ipv4(240, 0, 0, 0), 4, 'reserved'],
];

/** Names that never leave the local network, by IANA reservation or common practice. */
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'localdomain', 'lan', 'home.arpa', 'intranet', 'corp'];

function classifyIpv4(address: number): HostClass {
  for (const [base, bits, cls] of IPV4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((address & mask) >>> 0 === base) return cls;
  }
  return 'public';
}

/** Dotted decimal only: the URL parser has already turned `2130706433`, `0x7f.1` and `0177.0.0.1` into it. */
function parseIpv4(host: string): number | null {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  const [a, b, c, d] = parts.map(Number) as [number, number, number, number];
  return ipv4(a, b, c, d);
}

/** Eight 16-bit groups, or null; accepts `::` and a dotted IPv4 tail. */
function parseIpv6(host: string): number[] | null {
  let text = host.replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = parseIpv4(tail[1]!);
    if (v4 === null) return null;
    text = `${text.slice(0, -tail[1]!.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(missing).fill('0'), ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

function classifyIpv6(g: number[]): HostClass {
  const embeddedV4 = () => classifyIpv4((((g[6]! << 16) | g[7]!) >>> 0));
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return 'unspecified';
  if (zeros(0, 7) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 host.
  if (zeros(0, 5) && (g[5] === 0xffff || g[5] === 0)) return embeddedV4();
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return embeddedV4();
  // 6to4 carries the IPv4 address in groups 1-2.
  if (g[0] === 0x2002) return classifyIpv4(((g[1]! << 16) | g[2]!) >>> 0);
  if ((g[0]! & 0xfe00) === 0xfc00) return 'private';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0]! & 0xffc0) === 0xfec0) return 'private';
  if ((g[0]! & 0xff00) === 0xff00) return 'reserved';
  if (g[0] === 0x2001 && g[1] === 0xdb8) return 'reserved';
  return 'public';
}

/** Classifies a URL's hostname as `new URL()` gives it (IPv6 in brackets, IPv4 normalised to dotted form). */
export function classifyHost(hostname: string): HostClass {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('[') && host.endsWith(']')) {
    const groups = parseIpv6(host.slice(1, -1));
    return groups ? classifyIpv6(groups) : 'reserved';
  }
  const v4 = parseIpv4(host);
  if (v4 !== null) return classifyIpv4(v4);
  if (host === '' || !host.includes('.')) return 'local-name';
  if (LOCAL_SUFFIXES.some((suffix) => host === suffix || host.endsWith(`.${suffix}`))) return 'local-name';
  return 'public';
}

const DESCRIPTION: Record<Exclude<HostClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  'link-local': 'a link-local address',
  shared: 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  reserved: 'a reserved address',
  'local-name': 'a local host name',
};

/** Why `hostname` is no public Internet host (e.g. "127.0.0.1 is a loopback address"), or null. */
export function privateHostProblem(hostname: string): string | null {
  const cls = classifyHost(hostname);
  return cls === 'public' ? null : `${hostname} is ${DESCRIPTION[cls]}`;
}

/**
 * What is wrong with `url` as a webhook target, or null if the gateway may post to it. Private hosts are
 * allowed only with `allowPrivate` (WEBHOOK_ALLOW_PRIVATE_TARGETS); the scheme is always checked.
 */
export function webhookTargetProblem(url: string, allowPrivate: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http(s) URL';
  if (allowPrivate) return null;
  const problem = privateHostProblem(parsed.hostname);
  return problem && `must be a public Internet address; ${problem} (WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows it)`;
}
