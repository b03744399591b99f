import { BadRequestException, Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { HubConfig } from '@hub/config';
import { DeadEvent, DeadEventsRepository } from '@hub/store';
import { AdminTokenGuard } from '@hub/webhook-core';

/**
 * Events the worker gave up on (their handlers failed STREAM_MAX_DELIVERIES times, or the entry was
 * unreadable), with the last error: list them, fix the cause, send them through the handlers again.
 */
@ApiTags('dead-events')
@ApiBearerAuth()
@Controller('api/v1/dead-events')
@UseGuards(AdminTokenGuard)
export class DeadEventsController {
  constructor(
    private readonly dead: DeadEventsRepository,
    private readonly config: HubConfig,
  ) {}

  /** Newest first; `limit` 1-500 (default 50), `cursor` from nextCursor. */
  @Get()
  list(@Query() query: Record<string, unknown>): Promise<{ data: DeadEvent[]; nextCursor: string | null }> {
    const limit = query.limit === undefined ? 50 : /^\d{1,3}$/.test(String(query.limit)) ? Number(query.limit) : NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new BadRequestException('limit must be an integer from 1 to 500');
    return this.dead.list({ limit, cursor: query.cursor === undefined ? undefined : String(query.cursor) });
  }

  /** `{ids?: [deadId], dryRun?}`: back onto the event stream (every one when no ids, 1000 a call at most). */
  @Post('redrive')
  @HttpCode(202)
  redrive(@Body() body: { ids?: unknown; dryRun?: unknown } = {}) {
    return this.dead.redrive(body ?? {}, this.config.eventRetentionSeconds, this.config.eventStreamMaxLen);
  }
}
