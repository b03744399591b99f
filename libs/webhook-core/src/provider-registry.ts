import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ProviderAdapter } from './provider-adapter';

/** Marks a provider class as a webhook adapter; the registry finds it at boot. */
export const WebhookProvider = DiscoveryService.createDecorator<void>();

/** Every provider adapter by source name, discovered from the providers marked @WebhookProvider(). */
@Injectable()
export class ProviderRegistry implements OnModuleInit {
  private readonly adapters = new Map<string, ProviderAdapter>();
  /** Types of events the hub raises itself (source `hub`), or a provider's workflows add beside its adapter's. */
  private readonly extraTypes: { source: string; type: string; description: string }[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: WebhookProvider.KEY })) {
      const adapter = wrapper.instance as ProviderAdapter | undefined;
      if (!adapter) continue;
      if (this.adapters.has(adapter.source) && this.adapters.get(adapter.source) !== adapter) {
        throw new Error(`Two webhook adapters claim the source "${adapter.source}"`);
      }
      this.adapters.set(adapter.source, adapter);
    }
  }

  get(source: string): ProviderAdapter {
    const adapter = this.adapters.get(source);
    if (!adapter) throw new Error(`No webhook adapter is registered for source "${source}"`);
    return adapter;
  }

  all(): ProviderAdapter[] {
    return [...this.adapters.values()];
  }

  addEventTypes(source: string, types: { type: string; description: string }[]): void {
    for (const t of types) if (!this.extraTypes.some((e) => e.type === t.type)) this.extraTypes.push({ source, ...t });
  }

  /** Every known event type with its source, optionally of one source (REST and MCP list the same). */
  eventTypes(source?: string): { source: string; type: string; description: string }[] {
    return [
      ...this.all().flatMap((adapter) => adapter.eventTypes().map((t) => ({ source: adapter.source, ...t }))),
      ...this.extraTypes,
    ].filter((t) => !source || t.source === source);
  }
}
