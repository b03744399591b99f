import { Module } from '@nestjs/common';
import { DeliveryModule } from './delivery.module';
import { DeliveryProcessor } from './delivery.processor';
import { FanoutHandler } from './fanout.handler';
import { SubscriptionCache } from './subscription-cache';
import { DeliveryThrottle } from './throttle';
import { DeliveryWorkers } from './delivery-workers';

/** The worker half: subscription cache, fan-out and the delivery processor (a BullMQ worker per queue shard). */
@Module({
  imports: [DeliveryModule],
  providers: [
    SubscriptionCache,
    FanoutHandler,
    DeliveryThrottle,
    DeliveryProcessor,
    DeliveryWorkers,
  ],
  exports: [FanoutHandler, SubscriptionCache],
})
export class DeliveryWorkerModule {}
