import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BadRequestException, Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query, UseGuards } from '@nestjs/common';
import { Delivery, ReplayService } from '@hub/delivery';
import { DomainEvent, EVENT_ID_PATTERN, EventPage, EventsRepository, parseInstant } from '@hub/store';
import { AdminTokenGuard } from '@hub/webhook-core';
import { ListEventsQuery } from './list-events.query';

/** Read API over stored events (bearer HUB_ADMIN_TOKEN). */
@ApiTags('events')
@ApiBearerAuth()
@Controller('api/v1/events')
@UseGuards(AdminTokenGuard)
export class EventsController {
  constructor(
    private readonly events: EventsRepository,
    private readonly replay: ReplayService,
  ) {}

  /** Newest first; follow `nextCursor` for older pages. */
  @Get()
  list(@Query() query: ListEventsQuery): Promise<EventPage> {
    const since = parseInstant(query.since, 'since');
    if (query.cursor !== undefined && !this.events.isValidCursor(query.cursor)) {
      const message = 'cursor must be a nextCursor value from a previous page';
      throw new BadRequestException({ message, errors: [{ field: 'cursor', message }] });
    }
    return this.events.list({
      source: query.source,
      type: query.type,
      since: since === undefined ? undefined : new Date(since),
      limit: query.limit ?? 50,
      cursor: query.cursor,
    });
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<DomainEvent> {
    if (!EVENT_ID_PATTERN.test(id)) throw new NotFoundException(`event ${JSON.stringify(id.slice(0, 64))} not found`);
    const event = await this.events.get(id);
    if (!event) throw new NotFoundException(`event ${id} not found (unknown, or older than the retention window)`);
    return event;
  }

  /** Delivers the event again to every enabled subscription it matches now, or to `subscriptionId` only. */
  @Post(':id/replay')
  @HttpCode(202)
  async replayEvent(@Param('id') id: string, @Body() body: { subscriptionId?: unknown } = {}): Promise<{ data: Delivery[]; nextCursor: null }> {
    if (!EVENT_ID_PATTERN.test(id)) throw new NotFoundException(`event ${JSON.stringify(id.slice(0, 64))} not found`);
    const subscriptionId = typeof body?.subscriptionId === 'string' ? body.subscriptionId : undefined;
    return { data: await this.replay.replayEvent(id, subscriptionId), nextCursor: null };
  }
}
