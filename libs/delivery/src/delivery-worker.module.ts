import { Module } from '@nestjs/common';
import { HubConfig } from '@hub/config';
import { DeliveryModule } from './delivery.module';
import { DeliveryProcessor } from './delivery.processor';
import { FanoutHandler } from './fanout.handler';
import { SubscriptionCache } from './subscription-cache';
import { DeliveryThrottle } from './throttle';
import { DELIVERY_WORKER_SETTINGS, configureDeliveryWorker } from './delivery-worker.options';

/** The worker half: subscription cache, fan-out and the delivery processor (a BullMQ worker). */
@Module({
  imports: [DeliveryModule],
  providers: [
    { provide: DELIVERY_WORKER_SETTINGS, inject: [HubConfig], useFactory: configureDeliveryWorker },
    SubscriptionCache,
    FanoutHandler,
    DeliveryThrottle,
    DeliveryProcessor,
  ],
  exports: [FanoutHandler, SubscriptionCache],
})
export class DeliveryWorkerModule {}
