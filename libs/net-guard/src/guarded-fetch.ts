import { lookup } from 'node:dns/promises';

import ipaddr from 'ipaddr.js';
import { Agent, request } from 'undici';

/**
 * What outbound HTTP from the platform may reach (`api.fetch` in user code, outbound webhook deliveries).
 * Decided by the operator; carried in each sandbox job (workers have no environment).
 */
export interface FetchPolicy {
  /** Allow loopback, private, link-local, unique-local and metadata addresses (development only). */
  readonly allowPrivateNetworks: boolean;
  /**
   * Exempt from the address check (an operator's internal APIs): `host` or `host:port` entries, and address
   * ranges in CIDR notation (`10.20.0.0/16`, `fd00::/8`) that the host may resolve into.
   */
  readonly allowedHosts: readonly string[];
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
  /** Who is fetching, for the messages (default `api.fetch`). */
  readonly label?: string;
  /** false: a 3xx is answered as it is, never followed (outbound webhooks). Default true. */
  readonly followRedirects?: boolean;
  /** true: a response over `maxResponseBytes` is cut there (`truncated`) instead of failing. Default false. */
  readonly truncateResponse?: boolean;
}

export interface FetchInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** More headers to drop on a redirect to another origin (a polling trigger's sealed ones), any case. */
  readonly sensitiveHeaders?: readonly string[];
}

/** Dropped on a redirect to another origin, as WHATWG fetch (and undici's own redirect handling) does. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * Cloud metadata services: they hand out the machine's credentials, so they are refused even when
 * `allowPrivateNetworks` is on (development), unless named in `allowedHosts` (the address itself).
 */
const METADATA_ADDRESSES = new Set(
  [
    '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean
    '169.254.170.2', // AWS ECS task credentials
    '169.254.170.23', // AWS EKS pod identity
    'fd00:ec2::254', // AWS over IPv6
    'fd00:ec2::23', // AWS EKS pod identity over IPv6
    '100.100.100.200', // Alibaba Cloud
    '192.0.0.192', // Oracle Cloud
  ].map((address) => ipaddr.parse(address).toNormalizedString()),
);

function isMetadataAddress(address: string): boolean {
  return METADATA_ADDRESSES.has(unmapped(ipaddr.parse(address)).toNormalizedString());
}

export interface FetchResult {
  readonly status: number;
  readonly ok: boolean;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly truncated?: boolean;
}

export class FetchRefused extends Error {
  override readonly name = 'FetchRefused';
}

/** An IPv4-mapped IPv6 address as its IPv4 address; anything else as it is. */
function unmapped(parsed: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed;
}

/** The deprecated IPv4-compatible IPv6 addresses (`::a.b.c.d`, `::/96`): some stacks route them to IPv4. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Only globally routable unicast addresses (an IPv4-mapped IPv6 address counts as its IPv4 address; an
 * IPv4-compatible one is never public).
 */
export function isPublicAddress(address: string): boolean {
  const parsed = unmapped(ipaddr.parse(address));
  if (parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return false;
  return parsed.range() === 'unicast';
}

interface Vetted {
  readonly address: string;
  readonly family: 4 | 6;
}

const labelOf = (policy: FetchPolicy) => policy.label ?? 'api.fetch';

function inAllowedRange(address: string, policy: FetchPolicy): boolean {
  return policy.allowedHosts.some((entry) => {
    if (!entry.includes('/') || !ipaddr.isValidCIDR(entry)) return false;
    const [range, bits] = ipaddr.parseCIDR(entry);
    const candidate = unmapped(ipaddr.parse(address));
    return candidate.kind() === range.kind() && candidate.match(range, bits);
  });
}

/**
 * Checks a URL against the policy (scheme, and every address its host resolves to) and answers the address
 * to connect to; throws FetchRefused. Also used when a URL is saved, to refuse it early.
 */
export async function vetUrl(url: URL, policy: FetchPolicy): Promise<Vetted> {
  const label = labelOf(policy);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchRefused(`${label} only fetches http and https URLs, not ${url.protocol}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses: Vetted[] = ipaddr.isValid(host)
    ? [{ address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 }]
    : (await lookup(host, { all: true, verbatim: true })).map((a) => ({
        address: a.address,
        family: a.family === 6 ? 6 : 4,
      }));
  if (addresses.length === 0) throw new FetchRefused(`${host} does not resolve`);
  const named = policy.allowedHosts.includes(url.host) || policy.allowedHosts.includes(host);
  const metadata = addresses.find(
    (candidate) => isMetadataAddress(candidate.address) && !policy.allowedHosts.includes(candidate.address),
  );
  if (metadata && !named) {
    throw new FetchRefused(
      `${label} refused ${url.host}: it resolves to ${metadata.address}, a cloud metadata address (name it in FETCH_ALLOWED_HOSTS to allow it)`,
    );
  }
  if (!(policy.allowPrivateNetworks || named)) {
    const refused = addresses.find(
      (candidate) => !isPublicAddress(candidate.address) && !inAllowedRange(candidate.address, policy),
    );
    if (refused) {
      throw new FetchRefused(
        `${label} refused ${url.host}: it resolves to ${refused.address}, which is not a public address`,
      );
    }
  }
  return addresses[0];
}

/**
 * HTTP for user code: every hop's address is checked before connecting, and the connection is pinned to
 * the checked address (no second DNS answer can swap in a private one); redirects are followed by hand
 * and checked again; the whole exchange is bounded in time and in response size.
 */
export async function guardedFetch(rawUrl: string, init: FetchInit, policy: FetchPolicy): Promise<FetchResult> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new FetchRefused(`${labelOf(policy)} got an invalid URL: ${rawUrl}`);
  }
  // A deadline that is cleared when the fetch ends: a timer left running would abort a finished request
  // later and could raise an error nobody listens to, killing the worker (and an innocent run with it).
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), policy.timeoutMs);
  const signal = controller.signal;
  try {
    return await fetchHops(url, init, policy, signal);
  } finally {
    clearTimeout(deadline);
  }
}

async function fetchHops(
  startUrl: URL,
  init: FetchInit,
  policy: FetchPolicy,
  signal: AbortSignal,
): Promise<FetchResult> {
  const label = labelOf(policy);
  let url = startUrl;
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  let requestHeaders = init.headers;
  const sensitive = new Set([...CREDENTIAL_HEADERS, ...(init.sensitiveHeaders ?? []).map((h) => h.toLowerCase())]);
  for (let hop = 0; ; hop++) {
    const target = await vetUrl(url, policy);
    const agent = agentFor(url, target);
    try {
      const response = await request(url, {
        method: method as 'GET',
        headers: requestHeaders,
        body,
        dispatcher: agent,
        signal,
      }).catch((error: unknown) => {
        throw new FetchRefused(
          signal.aborted ? `${label} timed out after ${policy.timeoutMs} ms` : `${label} failed: ${String(error)}`,
        );
      });
      const location = response.headers['location'];
      const follow = policy.followRedirects !== false;
      if (follow && [301, 302, 303, 307, 308].includes(response.statusCode) && typeof location === 'string') {
        await response.body.dump();
        if (hop >= policy.maxRedirects)
          throw new FetchRefused(`${label} stopped after ${policy.maxRedirects} redirects`);
        const next = new URL(location, url);
        if (next.origin !== url.origin && requestHeaders) {
          requestHeaders = Object.fromEntries(
            Object.entries(requestHeaders).filter(([name]) => !sensitive.has(name.toLowerCase())),
          );
        }
        url = next;
        if (
          response.statusCode === 303 ||
          ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')
        ) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      response.body.on('error', () => undefined); // late errors of a body we stop reading are expected
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > policy.maxResponseBytes) {
          response.body.destroy();
          if (!policy.truncateResponse) {
            throw new FetchRefused(`${label} response is larger than ${policy.maxResponseBytes} bytes`);
          }
          chunks.push(chunk.subarray(0, chunk.length - (size - policy.maxResponseBytes)));
          truncated = true;
          break;
        }
        chunks.push(chunk);
      }
      const headers = Object.fromEntries(
        Object.entries(response.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(', ') : String(value),
        ]),
      );
      return {
        status: response.statusCode,
        ok: response.statusCode >= 200 && response.statusCode < 300,
        url: url.toString(),
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        ...(truncated ? { truncated } : {}),
      };
    } catch (error) {
      if (error instanceof FetchRefused) throw error;
      throw new FetchRefused(
        signal.aborted ? `${label} timed out after ${policy.timeoutMs} ms` : `${label} failed: ${String(error)}`,
      );
    }
  }
}

/** Kept connections, by origin and the address that was checked for it (at most MAX_AGENTS, oldest closed). */
const agents = new Map<string, Agent>();
const MAX_AGENTS = 256;

/**
 * A keep-alive connection pool pinned to the vetted address: the host is resolved and checked before every
 * request, and the pool for (origin, that address) only ever connects to that address, so a DNS answer that
 * changes (rebinding) gets a pool of its own, checked like any other.
 */
function agentFor(url: URL, target: Vetted): Agent {
  const key = `${url.origin}|${target.address}`;
  const existing = agents.get(key);
  if (existing) return existing;
  const agent = new Agent({
    connect: {
      lookup: (_hostname, options, callback) =>
        (options as { all?: boolean }).all
          ? (callback as (e: null, a: Vetted[]) => void)(null, [target])
          : (callback as (e: null, a: string, f: number) => void)(null, target.address, target.family),
    },
  });
  agents.set(key, agent);
  if (agents.size > MAX_AGENTS) {
    const [oldestKey, oldest] = agents.entries().next().value as [string, Agent];
    agents.delete(oldestKey);
    void oldest.close().catch(() => undefined);
  }
  return agent;
}

/** `FETCH_ALLOWED_HOSTS` (comma-separated hosts, host:port entries and CIDR ranges) as a list. */
export function parseAllowedHosts(csv: string): string[] {
  return csv
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}
