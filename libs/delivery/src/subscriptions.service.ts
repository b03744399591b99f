import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { newEventId } from '@hub/store';
import { InputProblem, SubscriptionInput, validateSubscriptionInput } from './subscription-input';
import { MASKED, PublicSubscription, Subscription, toPublicSubscription } from './subscription';
import { DeliveriesRepository } from './deliveries.repository';
import { SubscriptionsRepository } from './subscriptions.repository';
import { generateWebhookSecret } from './standard-webhooks.signer';

export const SUBSCRIPTION_ID_PATTERN = /^sub_[0-9A-HJKMNP-TV-Z]{26}$/;
/** How long a rotated-out secret keeps signing (Svix's default grace: 24 h). */
export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;

export interface UpsertResult {
  /** True when the URL was new. */
  created: boolean;
  /** The subscription with its secret; callers show the secret only when `created`. */
  subscription: Subscription;
}

/**
 * Subscription rules shared by the REST API and the MCP tools: validation, upsert by URL, secret
 * generation and rotation, enable/disable.
 */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly repository: SubscriptionsRepository,
    private readonly deliveries: DeliveriesRepository,
  ) {}

  /** Creates, or updates the subscription that already has this URL (the seed's register-webhook). */
  async upsert(input: unknown): Promise<UpsertResult> {
    const value = this.validated(input, 'create');
    const now = new Date().toISOString();
    const fresh: Subscription = {
      id: newEventId().replace(/^evt_/, 'sub_'),
      url: value.url!,
      events: value.events ?? ['*'],
      ...(value.filter ? { filter: value.filter } : {}),
      secret: value.secret ?? generateWebhookSecret(),
      secretGiven: value.secret !== undefined,
      ...(value.payloadFormat ? { payloadFormat: value.payloadFormat } : {}),
      ...(value.description ? { description: value.description } : {}),
      enabled: value.enabled ?? true,
      ...(value.rateLimitPerSec ? { rateLimitPerSec: value.rateLimitPerSec } : {}),
      ...(value.retrySchedule ? { retrySchedule: value.retrySchedule } : {}),
      ...(value.headers ? { headers: value.headers } : {}),
      createdAt: now,
      updatedAt: now,
    };
    const ownerId = await this.repository.claimUrl(fresh.url, fresh.id);
    if (ownerId === fresh.id) {
      await this.repository.save(fresh);
      return { created: true, subscription: fresh };
    }
    const updated = await this.update(ownerId, input);
    return { created: false, subscription: updated };
  }

  /**
   * The endpoint for a URL a workflow sends to directly (an approved response): the subscription
   * already registered for it, with its secret and headers, or a new one that matches no event type
   * (`events: []`), so it receives only what is sent to it. Its secret is shown by rotate-secret.
   */
  async ensureForUrl(url: string, description: string): Promise<{ created: boolean; subscription: Subscription }> {
    const value = this.validated({ url }, 'create');
    const now = new Date().toISOString();
    const fresh: Subscription = {
      id: newEventId().replace(/^evt_/, 'sub_'),
      url: value.url!,
      events: [],
      secret: generateWebhookSecret(),
      secretGiven: false,
      description: description.slice(0, 500),
      enabled: true,
      createdAt: now,
      updatedAt: now,
    };
    const ownerId = await this.repository.claimUrl(fresh.url, fresh.id);
    if (ownerId !== fresh.id) return { created: false, subscription: await this.get(ownerId) };
    await this.repository.save(fresh);
    return { created: true, subscription: fresh };
  }

  async update(id: string, input: unknown): Promise<Subscription> {
    const value = this.validated(input, 'update');
    const first = await this.get(id);
    if (value.url && value.url !== first.url) {
      const owner = await this.repository.idForUrl(value.url);
      if (owner && owner !== id) throw new ConflictException(`another subscription (${owner}) already uses ${value.url}`);
    }
    const next = await this.modified(id, (current) => this.applyUpdate(current, value));
    // Enabled again (by PATCH, MCP or /enable alike): its failure clock starts afresh.
    if (value.enabled === true) await this.deliveries.clearFailureClock(id);
    return next;
  }

  private applyUpdate(current: Subscription, value: SubscriptionInput): Subscription {
    const next: Subscription = { ...current, updatedAt: new Date().toISOString() };
    for (const key of Object.keys(value) as (keyof SubscriptionInput)[]) {
      if (value[key] !== undefined) (next as unknown as Record<string, unknown>)[key] = value[key];
    }
    if (value.secret !== undefined) next.secretGiven = true;
    // A header sent back masked (as reads show it) keeps its stored value.
    if (value.headers) {
      next.headers = Object.fromEntries(Object.entries(value.headers).map(([name, v]) => [name, v === MASKED && current.headers?.[name] !== undefined ? current.headers[name] : v]));
    }
    if (value.enabled === true) {
      delete next.disabledReason;
      delete next.disabledAt;
    } else if (value.enabled === false && current.enabled) {
      next.disabledReason = 'disabled by an operator';
      next.disabledAt = next.updatedAt;
    }
    return next;
  }

  /** A compare-and-set change of a stored subscription (see SubscriptionsRepository.modify), or 404. */
  private async modified(id: string, change: (current: Subscription) => Subscription): Promise<Subscription> {
    const next = SUBSCRIPTION_ID_PATTERN.test(id) ? await this.repository.modify(id, change) : null;
    if (!next) throw new NotFoundException(`subscription ${JSON.stringify(id.slice(0, 64))} not found`);
    return next;
  }

  async get(id: string): Promise<Subscription> {
    const subscription = SUBSCRIPTION_ID_PATTERN.test(id) ? await this.repository.get(id) : null;
    if (!subscription) throw new NotFoundException(`subscription ${JSON.stringify(id.slice(0, 64))} not found`);
    return subscription;
  }

  async getByUrl(url: string): Promise<Subscription | null> {
    const id = await this.repository.idForUrl(url);
    return id ? this.repository.get(id) : null;
  }

  async list(): Promise<Subscription[]> {
    return this.repository.all();
  }

  async remove(id: string): Promise<PublicSubscription> {
    const subscription = await this.get(id);
    await this.repository.delete(subscription);
    return toPublicSubscription(subscription);
  }

  async setEnabled(id: string, enabled: boolean, reason?: string): Promise<Subscription> {
    const next = await this.modified(id, (current) => {
      const now = new Date().toISOString();
      const changed: Subscription = { ...current, enabled, updatedAt: now };
      if (enabled) {
        delete changed.disabledReason;
        delete changed.disabledAt;
      } else {
        changed.disabledReason = reason ?? 'disabled by an operator';
        changed.disabledAt = current.enabled ? now : (current.disabledAt ?? now);
      }
      return changed;
    });
    if (enabled) await this.deliveries.clearFailureClock(id);
    return next;
  }

  /**
   * Replaces the signing secret. The old one keeps signing (both signatures are sent) for the grace
   * period so receivers can switch without dropping deliveries.
   */
  async rotateSecret(id: string, options: { secret?: unknown; graceSeconds?: unknown } = {}): Promise<Subscription> {
    const problems: InputProblem[] = [];
    if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret.length < 8 || options.secret.length > 256)) {
      problems.push({ field: 'secret', message: 'secret must be a string of 8-256 characters' });
    }
    const grace = (options.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS) as number;
    if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > 7 * 86_400) {
      problems.push({ field: 'graceSeconds', message: 'graceSeconds must be whole seconds between 0 and 604800' });
    }
    if (problems.length) throw invalid(problems);
    const secret = (options.secret as string | undefined) ?? generateWebhookSecret();
    return this.modified(id, (current) => {
      const now = Date.now();
      // graceSeconds 0 revokes every older secret at once (a leaked one can be cut off).
      const previous =
        grace === 0
          ? []
          : [
              { secret: current.secret, expiresAt: new Date(now + grace * 1000).toISOString() },
              ...(current.previousSecrets ?? []).filter((p) => Date.parse(p.expiresAt) > now),
            ].slice(0, 10);
      return { ...current, secret, secretGiven: options.secret !== undefined, previousSecrets: previous, updatedAt: new Date(now).toISOString() };
    });
  }

  private validated(input: unknown, mode: 'create' | 'update'): SubscriptionInput {
    const { value, problems } = validateSubscriptionInput(input, mode);
    if (problems.length) throw invalid(problems);
    return value;
  }
}

function invalid(problems: InputProblem[]): BadRequestException {
  return new BadRequestException({ message: problems.map((p) => `${p.field}: ${p.message}`).join('; '), errors: problems });
}
