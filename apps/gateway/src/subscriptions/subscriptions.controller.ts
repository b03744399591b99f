import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Res, UseGuards } from '@nestjs/common';
import {
  PublicSubscription,
  ReplayRequest,
  ReplayResult,
  ReplayService,
  createdView,
  SubscriptionsService,
  rotatedView,
  TestDeliveryResult,
  TestDeliveryService,
  toPublicSubscription,
} from '@hub/delivery';
import { StatusSettable } from '@hub/webhook-core';
import { AdminTokenGuard } from '@hub/webhook-core';

/** Webhook endpoints (subscriptions): CRUD, enable/disable, secret rotation, test and replay (bearer HUB_ADMIN_TOKEN). */
@ApiTags('subscriptions')
@ApiBearerAuth()
@Controller('api/v1/subscriptions')
@UseGuards(AdminTokenGuard)
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly tester: TestDeliveryService,
    private readonly replay: ReplayService,
  ) {}

  /**
   * Creates a subscription (201, secret included: store it, it is shown again only by rotate-secret),
   * or updates the one that already has this URL (200, as the seed's register-webhook upserts).
   */
  @Post()
  async create(@Body() body: unknown, @Res({ passthrough: true }) res: StatusSettable): Promise<PublicSubscription> {
    const { created, subscription } = await this.subscriptions.upsert(body);
    res.status(created ? 201 : 200);
    return created ? createdView(subscription) : toPublicSubscription(subscription);
  }

  @Get()
  async list(): Promise<{ data: PublicSubscription[]; nextCursor: null }> {
    return { data: (await this.subscriptions.list()).map(toPublicSubscription), nextCursor: null };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<PublicSubscription> {
    return toPublicSubscription(await this.subscriptions.get(id));
  }

  @Patch(':id')
  async update(@Param('id') id: string, @Body() body: unknown): Promise<PublicSubscription> {
    return toPublicSubscription(await this.subscriptions.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    await this.subscriptions.remove(id);
  }

  /** Enables the endpoint; `missed.skipped` counts events it missed while disabled (replay them with status "skipped"). */
  @Post(':id/enable')
  @HttpCode(200)
  async enable(@Param('id') id: string): Promise<PublicSubscription & { missed: { skipped: number } }> {
    const subscription = await this.subscriptions.setEnabled(id, true);
    return { ...toPublicSubscription(subscription), missed: await this.replay.missedWhileDisabled(id) };
  }

  @Post(':id/disable')
  @HttpCode(200)
  async disable(@Param('id') id: string, @Body() body: { reason?: unknown } = {}): Promise<PublicSubscription> {
    const reason = typeof body?.reason === 'string' && body.reason.length <= 200 ? body.reason : undefined;
    return toPublicSubscription(await this.subscriptions.setEnabled(id, false, reason));
  }

  /**
   * New secret (given or generated); the old one keeps signing for `graceSeconds` (default 24 h;
   * 0 revokes every older secret now). Answers the new secret, and only when the old ones expire.
   */
  @Post(':id/rotate-secret')
  @HttpCode(200)
  async rotate(@Param('id') id: string, @Body() body: { secret?: unknown; graceSeconds?: unknown } = {}) {
    return rotatedView(await this.subscriptions.rotateSecret(id, body ?? {}));
  }

  /** Sends a signed `webhook.test` event now and reports status, latency and the response snippet. */
  @Post(':id/test')
  @HttpCode(200)
  test(@Param('id') id: string): Promise<TestDeliveryResult> {
    return this.tester.test(id);
  }

  /** Replays by time range and status (skipped, failed, all); `dryRun: true` only counts. */
  @Post(':id/replay')
  async replaySubscription(@Param('id') id: string, @Body() body: ReplayRequest = {}, @Res({ passthrough: true }) res: StatusSettable): Promise<ReplayResult> {
    const result = await this.replay.replaySubscription(id, body ?? {});
    res.status(result.dryRun ? 200 : 202);
    return result;
  }
}
