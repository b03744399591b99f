import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { DeadLettersService } from './dead-letters.service';
import { DeliveriesRepository } from './deliveries.repository';
import { DELIVERY_QUEUE } from './delivery';
import { DeliveryHttpClient } from './delivery-http.client';
import { DeliveryMetrics } from './delivery.metrics';
import { DeliveryPayloads } from './delivery-payloads';
import { DeliveryQueue } from './delivery-queue';
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
  imports: [
    BullModule.registerQueue({
      name: DELIVERY_QUEUE,
      defaultJobOptions: {
        removeOnComplete: { age: 3_600, count: 10_000 },
        removeOnFail: { age: 14 * 86_400 },
      },
    }),
  ],
  providers: [
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
    BullModule,
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
