import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query, UseGuards } from '@nestjs/common';
import { DeadLettersService, DeliveriesRepository, Delivery, DeliveryAttempt, RedriveRequest, RedriveResult } from '@hub/delivery';
import { AdminTokenGuard } from '@hub/webhook-core';
import { ListDeadLettersQuery, ListDeliveriesQuery } from './list-deliveries.query';

/** Deliveries with their attempt logs (bearer HUB_ADMIN_TOKEN). */
@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('api/v1/deliveries')
@UseGuards(AdminTokenGuard)
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesRepository) {}

  @Get()
  list(@Query() query: ListDeliveriesQuery): Promise<{ data: Delivery[]; nextCursor: string | null }> {
    return this.deliveries.list({ ...query, limit: query.limit ?? 50 });
  }

  /** One delivery with its `attempts`: time, status code, duration, first 4 KiB of the response, error kind. */
  @Get(':id')
  async get(@Param('id') id: string): Promise<Delivery & { attempts: DeliveryAttempt[] }> {
    const delivery = await this.deliveries.getWithAttempts(id);
    if (!delivery) throw new NotFoundException(`delivery ${JSON.stringify(id.slice(0, 80))} not found`);
    return delivery;
  }
}

/** Deliveries that exhausted their retries (bearer HUB_ADMIN_TOKEN). */
@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('api/v1/dead-letters')
@UseGuards(AdminTokenGuard)
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  list(@Query() query: ListDeadLettersQuery) {
    return this.deadLetters.list({ ...query, limit: query.limit ?? 50 });
  }

  /** Runs dead deliveries again: `ids` one by one, or all (optionally of one `subscriptionId`); `dryRun` counts. */
  @Post('redrive')
  @HttpCode(200)
  redrive(@Body() body: RedriveRequest = {}): Promise<RedriveResult> {
    return this.deadLetters.redrive(body ?? {});
  }
}
