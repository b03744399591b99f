import { HubMetrics } from './hub-metrics';

const value = (text: string, series: string) => new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1];

describe('HubMetrics.scrape with another process added (a forked worker)', () => {
  it('sums counters and histograms, counts store gauges once and keeps its own process metrics', async () => {
    const gateway = new HubMetrics();
    const worker = new HubMetrics();
    let lagReads = 0;
    for (const m of [gateway, worker]) {
      m.stateGauge('hub_stream_consumer_lag', 'lag', ['group'], async () => {
        lagReads += 1;
        return [[{ group: 'fanout' }, 5]];
      });
    }
    gateway.ingressRequests.inc({ source: 'whatsapp', outcome: 'accepted' }, 3);
    worker.deliveryAttempts.inc({ result: 'succeeded', error_kind: 'none' }, 2);
    gateway.deliveryAttempts.inc({ result: 'succeeded', error_kind: 'none' }, 1);
    worker.deliveryDuration.observe(0.02);
    worker.deliveryDuration.observe(3);
    gateway.addSource(() => worker.registry.getMetricsAsJSON());

    const text = await gateway.scrape();
    expect(value(text, 'hub_ingress_requests_total{source="whatsapp",outcome="accepted"}')).toBe('3');
    expect(value(text, 'hub_delivery_attempts_total{result="succeeded",error_kind="none"}')).toBe('3');
    expect(value(text, 'hub_delivery_duration_seconds_count')).toBe('2');
    expect(value(text, 'hub_delivery_duration_seconds_bucket{le="0.025"}')).toBe('1');
    expect(value(text, 'hub_stream_consumer_lag{group="fanout"}')).toBe('5');
    expect(lagReads).toBe(2);
    // One series per process metric, this process's: the start time is its own, not omitted or summed.
    expect(text.match(/^hub_process_process_start_time_seconds /gm)).toHaveLength(1);
    expect(value(text, 'hub_process_process_start_time_seconds')).toBe(value(await gateway.registry.metrics(), 'hub_process_process_start_time_seconds'));
  });

  it('serves its own metrics when the other process cannot answer', async () => {
    const gateway = new HubMetrics();
    gateway.eventsStored.inc({ source: 'tavus' });
    gateway.addSource(async () => undefined);
    gateway.addSource(() => Promise.reject(new Error('gone')));
    expect(value(await gateway.scrape(), 'hub_events_stored_total{source="tavus"}')).toBe('1');
  });
});
