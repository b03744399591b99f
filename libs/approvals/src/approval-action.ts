import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { DomainEvent } from '@hub/store';
import type { Approval } from './approval';

/**
 * Runs an approved action. A module that asks for approvals contributes one per action it names
 * (Make.com: `makecom.send_webhook_response`). It runs in the worker, from the `hub.approval.decided`
 * event, and must be idempotent: after a crash it may run again for the same approval and must then
 * do nothing new (e.g. derive its delivery id from the approval).
 */
export interface ApprovalActionRunner {
  readonly action: string;
  run(approval: Approval, decided: DomainEvent): Promise<Record<string, unknown>>;
}

/** Marks a provider as an ApprovalActionRunner; found by discovery. */
export const ApprovalAction = DiscoveryService.createDecorator<void>();

/** The runners of every loaded module, by action name, read once every provider exists. */
@Injectable()
export class ApprovalActions {
  private cached?: Map<string, ApprovalActionRunner>;

  constructor(private readonly discovery: DiscoveryService) {}

  get(action: string): ApprovalActionRunner | undefined {
    if (!this.cached) {
      this.cached = new Map();
      for (const wrapper of this.discovery.getProviders({ metadataKey: ApprovalAction.KEY })) {
        const runner = wrapper.instance as ApprovalActionRunner | undefined;
        if (typeof runner?.run === 'function') this.cached.set(runner.action, runner);
      }
    }
    return this.cached.get(action);
  }
}
