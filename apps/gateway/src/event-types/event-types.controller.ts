import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { IsOptional, Matches } from 'class-validator';
import { ProviderRegistry } from '@hub/webhook-core';
import { AdminTokenGuard } from '@hub/webhook-core';

export class ListEventTypesQuery {
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_-]{0,31}$/, { message: 'source must be a source name such as "whatsapp"' })
  source?: string;
}

export interface EventTypeEntry {
  source: string;
  type: string;
  description: string;
}

/** Every event type each provider knows, from the adapters' own registries (bearer HUB_ADMIN_TOKEN). */
@ApiTags('events')
@ApiBearerAuth()
@Controller('api/v1/event-types')
@UseGuards(AdminTokenGuard)
export class EventTypesController {
  constructor(private readonly registry: ProviderRegistry) {}

  @Get()
  list(@Query() query: ListEventTypesQuery): { data: EventTypeEntry[]; nextCursor: null } {
    return { data: this.registry.eventTypes(query.source), nextCursor: null };
  }
}
