import { BadRequestException, Injectable } from '@nestjs/common';
import { DeliveriesRepository } from './deliveries.repository';
import { DELIVERY_ID_PATTERN, Delivery } from './delivery';
import { ReplayService } from './replay.service';
import { SubscriptionsService } from './subscriptions.service';

export interface RedriveRequest {
  /** Dead deliveries to run again; omit to redrive every dead letter (optionally of one subscription). */
  ids?: string[];
  subscriptionId?: string;
  dryRun?: boolean;
}

export interface RedriveResult {
  dryRun: boolean;
  matched: number;
  redriven: number;
  /** Dead letters that could not be redriven, with why. */
  skipped: { id: string; reason: string }[];
}

/** Deliveries that exhausted their schedule: list them and run them again, one by one or in bulk. */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly replay: ReplayService,
  ) {}

  list(query: { subscriptionId?: string; limit: number; cursor?: string }) {
    return this.deliveries.listDead(query);
  }

  async redrive(request: RedriveRequest): Promise<RedriveResult> {
    let targets: Delivery[];
    if (request.ids !== undefined) {
      if (!Array.isArray(request.ids) || request.ids.length === 0 || request.ids.length > 1000 || request.ids.some((id) => typeof id !== 'string' || !DELIVERY_ID_PATTERN.test(id))) {
        throw new BadRequestException('ids must be a list of 1-1000 delivery ids (dlv_...)');
      }
      targets = await this.deliveries.getMany(request.ids);
    } else {
      targets = [];
      let cursor: string | undefined;
      do {
        const page = await this.deliveries.listDead({ subscriptionId: request.subscriptionId, limit: 500, cursor });
        targets.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && targets.length < 10_000);
    }
    const result: RedriveResult = { dryRun: request.dryRun === true, matched: 0, redriven: 0, skipped: [] };
    for (const id of request.ids ?? []) if (!targets.some((d) => d.id === id)) result.skipped.push({ id, reason: 'not found' });
    for (const delivery of targets) {
      if (delivery.status !== 'dead') {
        result.skipped.push({ id: delivery.id, reason: `status is ${delivery.status}, not dead` });
        continue;
      }
      const subscription = await this.subscriptions.get(delivery.subscriptionId).catch(() => null);
      if (!subscription) {
        result.skipped.push({ id: delivery.id, reason: 'its subscription was deleted' });
        continue;
      }
      if (!subscription.enabled) {
        result.skipped.push({ id: delivery.id, reason: 'its subscription is disabled; enable it first' });
        continue;
      }
      result.matched++;
      if (request.dryRun) continue;
      if (await this.replay.redriveOne(delivery, subscription)) result.redriven++;
      else result.skipped.push({ id: delivery.id, reason: 'its event is no longer stored' });
    }
    return result;
  }
}
