import { Global, Module } from '@nestjs/common';
import { HubMetrics } from './hub-metrics';
import { MetricsController } from './metrics.controller';

@Global()
@Module({ controllers: [MetricsController], providers: [HubMetrics], exports: [HubMetrics] })
export class MetricsModule {}
