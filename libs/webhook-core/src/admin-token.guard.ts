import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { HubConfig } from '@hub/config';
import { tokenEquals } from './hmac';

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
    return true;
  }
}
