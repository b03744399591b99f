import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { HubConfig } from '@hub/config';
import { raiseDeferredBodyError, tokenEquals } from '@hub/webhook-core';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Who may use /mcp: the bearer HUB_ADMIN_TOKEN (unless MCP_AUTH=off, allowed on loopback only), a Host
 * header naming this hub (DNS-rebinding guard) and, from browsers, an allowed Origin.
 */
@Injectable()
export class McpAccessGuard implements CanActivate {
  private readonly allowedHosts: Set<string>;
  private readonly allowedOrigins: Set<string>;

  constructor(private readonly config: HubConfig) {
    const publicUrl = new URL(config.publicUrl);
    this.allowedHosts = new Set([...LOOPBACK_HOSTS, publicUrl.hostname.toLowerCase(), ...config.mcp.allowedHosts]);
    this.allowedOrigins = new Set([publicUrl.origin, ...config.mcp.allowedOrigins.map((o) => new URL(o).origin)]);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const host = typeof req.headers.host === 'string' ? hostname(req.headers.host) : undefined;
    if (!host || !this.allowedHosts.has(host)) {
      throw new ForbiddenException(`Host ${JSON.stringify(req.headers.host ?? '')} is not allowed for /mcp (set PUBLIC_URL or MCP_ALLOWED_HOSTS)`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !(typeof origin === 'string' && this.originAllowed(origin))) {
      throw new ForbiddenException(`Origin ${JSON.stringify(origin)} is not allowed for /mcp (set MCP_ALLOWED_ORIGINS)`);
    }
    if (this.config.mcpAuth !== 'off') this.authenticate(req.headers.authorization);
    raiseDeferredBodyError(req);
    return true;
  }

  private authenticate(header: string | string[] | undefined): void {
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new UnauthorizedException('missing bearer token: send Authorization: Bearer <HUB_ADMIN_TOKEN>');
    if (!tokenEquals(match[1], this.config.adminToken)) throw new UnauthorizedException('invalid bearer token');
  }

  private originAllowed(origin: string): boolean {
    try {
      const url = new URL(origin);
      return this.allowedOrigins.has(url.origin) || LOOPBACK_HOSTS.has(url.hostname);
    } catch {
      return false;
    }
  }
}

function hostname(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  return value.split(':')[0];
}
