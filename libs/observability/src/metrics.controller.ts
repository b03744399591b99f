import { Controller, Get, Header } from '@nestjs/common';
import { HubMetrics } from './hub-metrics';

/** Prometheus scrape endpoint: counters and process metrics, no event data and no secrets. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: HubMetrics) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
