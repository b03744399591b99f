import { Body, Controller, Get, Header, HttpException, Param, Post, Query, Redirect, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ApprovalsService } from '@hub/approvals';
import { HubConfig } from '@hub/config';
import { DeadLettersService, ReplayService, SubscriptionsService, TestDeliveryService } from '@hub/delivery';
import { AdminConsoleGuard, consoleCsrfToken } from './admin-console.guard';
import { AdminConsoleService } from './admin-console.service';
import { errorPage, eventPage, overviewPage, secretPage } from './admin-pages';

type StatusSettable = { status(code: number): unknown };
type Redirection = { url: string; statusCode?: number };

/** No script, no outside resource, no framing: the pages are HTML and inline CSS only. */
const SECURITY_HEADERS: [string, string][] = [
  ['Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'same-origin'],
  ['X-Content-Type-Options', 'nosniff'],
];

/**
 * The ops console at /admin: sources, endpoints, dead letters, approvals and recent events on one
 * page, server-rendered HTML whose every action is a form (no JavaScript). It calls the services the
 * REST API and the MCP tools call, so the three always agree. Documented in docs/console.md.
 */
@ApiExcludeController()
@Controller('admin')
@UseGuards(AdminConsoleGuard)
export class AdminConsoleController {
  constructor(
    private readonly console: AdminConsoleService,
    private readonly subscriptions: SubscriptionsService,
    private readonly replay: ReplayService,
    private readonly tester: TestDeliveryService,
    private readonly deadLetters: DeadLettersService,
    private readonly approvals: ApprovalsService,
    private readonly config: HubConfig,
  ) {}

  /** Read per request: a generated admin token can be replaced by the one the prefix shares (SharedAdminToken). */
  private get csrf(): string {
    return consoleCsrfToken(this.config.adminToken);
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @SecurityHeaders()
  async overview(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) res: StatusSettable): Promise<string> {
    const filter = {
      ...(typeof query.source === 'string' && query.source ? { source: query.source } : {}),
      ...(typeof query.type === 'string' && query.type ? { type: query.type } : {}),
      ...(typeof query.cursor === 'string' && query.cursor ? { cursor: query.cursor } : {}),
    };
    const notice = typeof query.notice === 'string' ? { text: query.notice.slice(0, 500), bad: query.bad === '1' } : undefined;
    try {
      return overviewPage(await this.console.overview(filter), this.csrf, notice);
    } catch (error) {
      return this.refused(error, res);
    }
  }

  @Get('events/:id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @SecurityHeaders()
  async event(@Param('id') id: string, @Res({ passthrough: true }) res: StatusSettable): Promise<string> {
    const { event, deliveries } = await this.console.event(id);
    if (!event) {
      res.status(404);
      return errorPage(404, `no event ${id}: it may be older than the retention (EVENT_RETENTION_SECONDS)`);
    }
    return eventPage(event, deliveries);
  }

  @Post('endpoints/:id/enable')
  @Redirect('/admin', 303)
  enable(@Param('id') id: string): Promise<Redirection> {
    return this.act('endpoints', async () => {
      await this.subscriptions.setEnabled(id, true);
      const missed = await this.replay.missedWhileDisabled(id);
      return `enabled ${id}${missed.skipped ? `; it missed ${missed.skipped} event(s) while disabled (replay them with POST /api/v1/subscriptions/${id}/replay)` : ''}`;
    });
  }

  @Post('endpoints/:id/disable')
  @Redirect('/admin', 303)
  disable(@Param('id') id: string): Promise<Redirection> {
    return this.act('endpoints', async () => {
      await this.subscriptions.setEnabled(id, false, 'disabled from the console');
      return `disabled ${id}; its events are recorded as skipped until it is enabled again`;
    });
  }

  @Post('endpoints/:id/test')
  @Redirect('/admin', 303)
  test(@Param('id') id: string): Promise<Redirection> {
    return this.act('endpoints', async () => {
      const result = await this.tester.test(id);
      const outcome = result.statusCode ? `HTTP ${result.statusCode}` : `${result.errorKind ?? 'error'}: ${result.error ?? ''}`;
      return `test delivery to ${id}: ${result.ok ? 'delivered' : 'failed'}, ${outcome}, ${result.latencyMs} ms`;
    });
  }

  /** Shows the new secret once, on its own page. */
  @Post('endpoints/:id/rotate-secret')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @SecurityHeaders()
  async rotate(@Param('id') id: string, @Res({ passthrough: true }) res: StatusSettable): Promise<string> {
    try {
      const rotated = await this.subscriptions.rotateSecret(id, {});
      return secretPage(id, rotated.secret, rotated.previousSecrets?.[rotated.previousSecrets.length - 1]?.expiresAt);
    } catch (error) {
      return this.refused(error, res);
    }
  }

  @Post('dead-letters/redrive')
  @Redirect('/admin', 303)
  redrive(@Body() body: { id?: unknown; all?: unknown } = {}): Promise<Redirection> {
    return this.act('dead-letters', async () => {
      const all = body.all === '1';
      if (!all && typeof body.id !== 'string') throw new HttpException('choose a dead letter to redrive', 400);
      const result = await this.deadLetters.redrive(all ? {} : { ids: [body.id as string] });
      const skipped = result.skipped.length ? `; skipped ${result.skipped.length}: ${result.skipped.map((s) => `${s.id} (${s.reason})`).join(', ')}` : '';
      return `redriven ${result.redriven} of ${result.matched} dead letter(s)${skipped}`;
    });
  }

  @Post('approvals/:id/approve')
  @Redirect('/admin', 303)
  approve(@Param('id') id: string): Promise<Redirection> {
    return this.act('approvals', async () => {
      await this.approvals.decide(id, 'approve', { channel: 'console', id: 'admin-token' });
      return `approved ${id}; its action runs now`;
    });
  }

  @Post('approvals/:id/reject')
  @Redirect('/admin', 303)
  reject(@Param('id') id: string): Promise<Redirection> {
    return this.act('approvals', async () => {
      await this.approvals.decide(id, 'reject', { channel: 'console', id: 'admin-token' });
      return `rejected ${id}; its action will not run`;
    });
  }

  /** Runs an action and goes back to its section with what happened (a refusal included, never a 500 page). */
  private async act(section: string, action: () => Promise<string>): Promise<Redirection> {
    try {
      return { url: `/admin?${new URLSearchParams({ notice: await action() }).toString()}#${section}`, statusCode: 303 };
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      return { url: `/admin?${new URLSearchParams({ notice: messageOf(error), bad: '1' }).toString()}#${section}`, statusCode: 303 };
    }
  }

  private refused(error: unknown, res: StatusSettable): string {
    if (!(error instanceof HttpException)) throw error;
    res.status(error.getStatus());
    return errorPage(error.getStatus(), messageOf(error));
  }
}

function messageOf(error: HttpException): string {
  const body = error.getResponse();
  const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : String(message ?? error.message);
}

/** The console's response headers (CSP and friends), as one decorator. */
function SecurityHeaders(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const [name, value] of SECURITY_HEADERS) Header(name, value)(target, key, descriptor);
  };
}
