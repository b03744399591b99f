import { Global, Module } from '@nestjs/common';
import { HubMetrics } from './hub-metrics';
import { MetricsController } from './metrics.controller';
import { StreamMetrics } from './stream.metrics';

@Global()
@Module({ controllers: [MetricsController], providers: [HubMetrics, StreamMetrics], exports: [HubMetrics] })
export class MetricsModule {}
