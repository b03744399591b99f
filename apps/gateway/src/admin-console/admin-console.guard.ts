import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { HubConfig } from '@hub/config';
import { adminCredentialsMatch, raiseDeferredBodyError, tokenEquals } from '@hub/webhook-core';

type ConsoleRequest = { method: string; headers: Record<string, string | string[] | undefined>; body?: unknown };
type HeaderSettable = { header(name: string, value: string): unknown };

const CHALLENGE = 'Basic realm="webhook-hub console", charset="UTF-8"';

/** The token every console form carries: derived from the admin token, so a third-party page cannot know it. */
export function consoleCsrfToken(adminToken: string): string {
  return createHmac('sha256', adminToken).update('webhook-hub admin console forms').digest('base64url');
}

/**
 * The console's protection, as /admin/queues: HTTP Basic with the admin token as password (any user
 * name), or a bearer. A browser re-sends Basic credentials to any form post, so every POST must also
 * carry the form's CSRF token and, when the browser says where it came from, come from this origin.
 */
@Injectable()
export class AdminConsoleGuard implements CanActivate {
  constructor(private readonly config: HubConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<ConsoleRequest>();
    const res = http.getResponse<HeaderSettable>();
    res.header('Cache-Control', 'no-store');
    if (!adminCredentialsMatch(req.headers.authorization, this.config.adminToken)) {
      res.header('WWW-Authenticate', CHALLENGE);
      throw new UnauthorizedException('the console needs the admin token: Basic auth with HUB_ADMIN_TOKEN as password (any user name), or Authorization: Bearer');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const site = req.headers['sec-fetch-site'];
      if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') throw new ForbiddenException('console actions must come from the console itself');
      const origin = req.headers.origin;
      if (typeof origin === 'string' && origin !== 'null' && hostOf(origin) !== req.headers.host) throw new ForbiddenException('console actions must come from the console itself');
      const given = (req.body as { csrf?: unknown } | undefined)?.csrf;
      if (typeof given !== 'string' || !tokenEquals(given, consoleCsrfToken(this.config.adminToken))) {
        throw new ForbiddenException('missing or wrong form token: reload the console page and try again');
      }
    }
    raiseDeferredBodyError(req);
    return true;
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
