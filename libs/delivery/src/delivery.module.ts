import { Module } from '@nestjs/common';
import { DeadLettersService } from './dead-letters.service';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveryHttpClient } from './delivery-http.client';
import { DeliveryMetrics } from './delivery.metrics';
import { DeliveryPayloads } from './delivery-payloads';
import { DeliveryQueue } from './delivery-queue';
import { DeliveryQueues } from './delivery-queues';
import { DeliverySender } from './delivery-sender';
import { HubStatsService } from './hub-stats.service';
import { ReplayService } from './replay.service';
import { SubscriptionsRepository } from './subscriptions.repository';
import { SubscriptionsService } from './subscriptions.service';
import { TestDeliveryService } from './test-delivery.service';

/**
 * Subscriptions, delivery records, replay, dead letters and the producer side of the delivery queue:
 * what the REST API and the MCP tools call. The gateway imports only this (a pure producer).
 */
@Module({
  providers: [
    DeliveryQueues,
    SubscriptionsRepository,
    SubscriptionsService,
    DeliveriesRepository,
    DeliveryHttpClient,
    DeliverySender,
    DeliveryPayloads,
    DeliveryQueue,
    ReplayService,
    DeadLettersService,
    TestDeliveryService,
    HubStatsService,
    DeliveryMetrics,
  ],
  exports: [
    HubStatsService,
    DeliveryQueues,
    SubscriptionsRepository,
    SubscriptionsService,
    DeliveriesRepository,
    DeliveryHttpClient,
    DeliverySender,
    DeliveryPayloads,
    DeliveryQueue,
    ReplayService,
    DeadLettersService,
    TestDeliveryService,
  ],
})
export class DeliveryModule {}
