import { Module } from '@nestjs/common';
import { DeliveryModule } from '@hub/delivery';
import { McpHttpModule } from '@hub/mcp';
import { AdminTokenGuard } from '@hub/webhook-core';
import { AdminConsoleController } from './admin-console/admin-console.controller';
import { AdminConsoleGuard } from './admin-console/admin-console.guard';
import { AdminConsoleService } from './admin-console/admin-console.service';
import { ApprovalsController } from './approvals/approvals.controller';
import { DeadEventsController } from './dead-events/dead-events.controller';
import { DeadLettersController, DeliveriesController } from './deliveries/deliveries.controller';
import { EventTypesController } from './event-types/event-types.controller';
import { EventsController } from './events/events.controller';
import { StatsController } from './stats/stats.controller';
import { StatusController } from './status/status.controller';
import { SubscriptionsController } from './subscriptions/subscriptions.controller';

/**
 * The HTTP side: the ops API (events, subscriptions, deliveries), MCP at /mcp and status. Provider
 * ingress routes come with ProvidersModule (HubModule), which loads them where the gateway runs.
 */
@Module({
  imports: [DeliveryModule, McpHttpModule],
  controllers: [
    AdminConsoleController,
    ApprovalsController,
    DeadEventsController,
    EventsController,
    EventTypesController,
    StatusController,
    SubscriptionsController,
    DeliveriesController,
    DeadLettersController,
    StatsController,
  ],
  providers: [AdminTokenGuard, AdminConsoleGuard, AdminConsoleService],
})
export class GatewayModule {}
