import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Controller, Get, UseGuards } from '@nestjs/common';
import { HubStats, HubStatsService } from '@hub/delivery';
import { AdminTokenGuard } from '@hub/webhook-core';

/** Ingress per source (24 h), stored events, subscriptions and delivery queue counts (bearer HUB_ADMIN_TOKEN). */
@ApiTags('stats')
@ApiBearerAuth()
@Controller('api/v1/stats')
@UseGuards(AdminTokenGuard)
export class StatsController {
  constructor(private readonly stats: HubStatsService) {}

  @Get()
  get(): Promise<HubStats> {
    return this.stats.snapshot();
  }
}
