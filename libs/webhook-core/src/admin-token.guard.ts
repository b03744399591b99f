import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { HubConfig } from '@hub/config';
import { raiseDeferredBodyError } from './deferred-body-error';
import { tokenEquals } from './hmac';

/**
 * Browser-facing admin pages (the console, the queue dashboard): `Authorization: Bearer <token>`, or
 * HTTP Basic with the token as password and any user name, since a browser cannot send a bearer.
 * Constant-time comparison either way.
 */
export function adminCredentialsMatch(authorization: string | string[] | undefined, adminToken: string): boolean {
  const header = typeof authorization === 'string' ? authorization : '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1];
  const password = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined;
  const given = bearer ?? password;
  return given !== undefined && tokenEquals(given, adminToken);
}

/** Ops API access: `Authorization: Bearer <HUB_ADMIN_TOKEN>`, compared in constant time. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(private readonly config: HubConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new UnauthorizedException('missing bearer token: send Authorization: Bearer <HUB_ADMIN_TOKEN>');
    if (!tokenEquals(match[1], this.config.adminToken)) throw new UnauthorizedException('invalid bearer token');
    raiseDeferredBodyError(req);
    return true;
  }
}
