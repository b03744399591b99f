import { Module } from '@nestjs/common';
import { DeliveryModule } from './delivery.module';
import { DeliveryProcessor } from './delivery.processor';
import { FanoutHandler } from './fanout.handler';
import { SubscriptionCache } from './subscription-cache';
import { DeliveryThrottle } from './throttle';

/** The worker half: subscription cache, fan-out and the delivery processor (a BullMQ worker). */
@Module({
  imports: [DeliveryModule],
  providers: [SubscriptionCache, FanoutHandler, DeliveryThrottle, DeliveryProcessor],
  exports: [FanoutHandler, SubscriptionCache],
})
export class DeliveryWorkerModule {}
