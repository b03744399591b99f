import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { BlockList, LookupFunction, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import { Agent, Dispatcher } from 'undici';
import { HubConfig } from '@hub/config';
import { classifyAddress } from './ssrf-guard';

export type DeliveryErrorKind = 'dns' | 'connect' | 'tls' | 'timeout' | 'http' | 'ssrf' | 'other';

export interface HttpAttempt {
  /** 2xx received. */
  ok: boolean;
  /** HTTP status, when a response came back. */
  status?: number;
  durationMs: number;
  /** First 4 KiB of the response body (UTF-8, lossy). */
  responseSnippet?: string;
  /** Response headers the retry logic reads. */
  retryAfter?: string;
  /** Why it failed; `http` means a non-2xx status. */
  errorKind?: DeliveryErrorKind;
  error?: string;
}

export const RESPONSE_SNIPPET_BYTES = 4096;
/** Read at most this much of a response before dropping the connection (keep-alive is kept below it). */
const RESPONSE_DRAIN_LIMIT = 64 * 1024;

class SsrfBlockedError extends Error {
  readonly code = 'ESSRFBLOCKED';
}

/** A URL as the client sends to it, or why it is never called; kept per URL string. */
type Target = { url: URL } | { refusal: HttpAttempt };
const TARGET_CACHE_ENTRIES = 1024;

/**
 * The one outbound HTTP client: an undici keep-alive pool with connect and total timeouts and an
 * SSRF guard that checks the address actually connected to (in the DNS lookup the socket uses, so a
 * name cannot resolve to one address for the check and another for the connection). Literal IPs
 * are checked before connecting; redirects are never followed.
 */
@Injectable()
export class DeliveryHttpClient implements OnApplicationShutdown {
  private readonly agent: Agent;
  private readonly allowedHosts = new Set<string>();
  private readonly allowedNets = new BlockList();
  private readonly targets = new Map<string, Target>();

  constructor(private readonly config: HubConfig) {
    for (const entry of config.delivery.allowlist) {
      const [net, prefix] = entry.split('/');
      if (isIP(net) && prefix !== undefined) this.allowedNets.addSubnet(net, Number(prefix), isIP(net) === 4 ? 'ipv4' : 'ipv6');
      else if (isIP(net)) this.allowedNets.addAddress(net, isIP(net) === 4 ? 'ipv4' : 'ipv6');
      else this.allowedHosts.add(entry.toLowerCase());
    }
    this.agent = new Agent({
      connect: { timeout: config.delivery.connectTimeoutMs, lookup: this.guardedLookup },
      keepAliveTimeout: 30_000,
      connections: 64,
      headersTimeout: config.delivery.timeoutMs,
      bodyTimeout: config.delivery.timeoutMs,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }

  /** Why a URL may not be called at all (literal private IP), or undefined. */
  refuseLiteral(url: URL): string | undefined {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!isIP(host) || this.addressAllowed(host)) return undefined;
    const verdict = classifyAddress(host);
    return verdict.allowed ? undefined : `refused by the SSRF guard: ${verdict.reason}`;
  }

  async post(url: string, headers: Record<string, string>, body: Buffer): Promise<HttpAttempt> {
    const started = performance.now();
    const target = this.targetOf(url);
    if ('refusal' in target) return { ...target.refusal };
    try {
      const response = await this.dispatch(target.url, headers, body);
      const ok = response.status >= 200 && response.status < 300;
      return {
        ok,
        status: response.status,
        durationMs: Math.round(performance.now() - started),
        responseSnippet: response.snippet,
        ...(response.retryAfter !== undefined ? { retryAfter: response.retryAfter } : {}),
        ...(ok ? {} : { errorKind: 'http' as const, error: `HTTP ${response.status}` }),
      };
    } catch (error) {
      const { kind, message } = classifyError(error);
      return { ok: false, durationMs: Math.round(performance.now() - started), errorKind: kind, error: message };
    }
  }

  /**
   * One POST on the pool through undici's dispatch API, with the attempt's whole time limit (connect,
   * headers, body) as one timer. Hand-written over `request()`: its response stream, promise-based
   * body reading and AbortSignal.timeout were about 8 % of a worker's CPU per delivery in a drain
   * profile. Reads the first RESPONSE_SNIPPET_BYTES and drops the connection past RESPONSE_DRAIN_LIMIT.
   */
  private dispatch(url: URL, headers: Record<string, string>, body: Buffer): Promise<{ status: number; retryAfter?: string; snippet: string }> {
    const timeoutMs = this.config.delivery.timeoutMs;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let status = 0;
      let retryAfter: string | undefined;
      let controller: Dispatcher.DispatchController | undefined;
      let stop: Error | undefined;
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve({ status, retryAfter, snippet: Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString('utf8') });
      };
      const timer = setTimeout(() => {
        stop = Object.assign(new Error(`no complete response within ${timeoutMs} ms`), { name: 'TimeoutError' });
        controller?.abort(stop);
        finish(stop);
      }, timeoutMs);
      let enough = false;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (dispatched) => {
          controller = dispatched;
          if (stop) dispatched.abort(stop);
        },
        onResponseStart: (_controller, statusCode, responseHeaders) => {
          status = statusCode;
          const value = responseHeaders['retry-after'];
          retryAfter = typeof value === 'string' ? value : undefined;
        },
        onResponseData: (dispatched, chunk) => {
          if (size < RESPONSE_SNIPPET_BYTES) chunks.push(chunk);
          size += chunk.length;
          if (size > RESPONSE_DRAIN_LIMIT && !enough) {
            // Enough read: the rest is dropped with the connection, and the answer stands.
            enough = true;
            dispatched.abort(new Error('response body past the drain limit'));
          }
        },
        onResponseEnd: () => finish(),
        onResponseError: (_controller, error) => finish(enough ? undefined : error),
      };
      try {
        this.agent.dispatch({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'POST', headers, body }, handler);
      } catch (error) {
        finish(error as Error);
      }
    });
  }

  /** The parsed URL, or the refusal of one that is invalid or a literal address the guard refuses. */
  private targetOf(url: string): Target {
    let target = this.targets.get(url);
    if (target) return target;
    try {
      const parsed = new URL(url);
      const literal = this.refuseLiteral(parsed);
      target = literal ? { refusal: { ok: false, durationMs: 0, errorKind: 'ssrf', error: literal } } : { url: parsed };
    } catch {
      target = { refusal: { ok: false, durationMs: 0, errorKind: 'other', error: 'invalid URL' } };
    }
    if (this.targets.size >= TARGET_CACHE_ENTRIES) this.targets.clear();
    this.targets.set(url, target);
    return target;
  }

  private addressAllowed(address: string): boolean {
    return this.config.allowPrivateTargets || this.allowedNets.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }

  /** dns.lookup, then drop every address the guard refuses; none left is an SSRF refusal. */
  private readonly guardedLookup: LookupFunction = (hostname, options, callback) => {
    const hostAllowed = this.allowedHosts.has(hostname.toLowerCase());
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return (callback as (e: Error) => void)(error);
      const list = addresses as unknown as { address: string; family: number }[];
      const usable = hostAllowed ? list : list.filter((a) => this.addressAllowed(a.address) || classifyAddress(a.address).allowed);
      if (usable.length === 0) {
        const refused = list.map((a) => a.address).join(', ');
        return (callback as (e: Error) => void)(new SsrfBlockedError(`refused by the SSRF guard: ${hostname} resolves to ${refused} (private, loopback, link-local or reserved)`));
      }
      if ((options as { all?: boolean }).all) return (callback as (e: null, a: typeof usable) => void)(null, usable);
      return (callback as (e: null, a: string, f: number) => void)(null, usable[0].address, usable[0].family);
    });
  };
}

function classifyError(error: unknown): { kind: DeliveryErrorKind; message: string } {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const message = e.message ?? String(error);
  if (code === 'ESSRFBLOCKED' || e.cause?.code === 'ESSRFBLOCKED') return { kind: 'ssrf', message: e.cause?.message ?? message };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code)) return { kind: 'timeout', message: `timed out: ${message}` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return { kind: 'dns', message: `DNS lookup failed: ${message}` };
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code)) return { kind: 'tls', message: `TLS failed: ${message}` };
  if (/^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)/.test(code)) return { kind: 'connect', message: `connection failed: ${message}` };
  return { kind: 'other', message };
}
