import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ProcessRoles, ProviderRegistry, providerModule } from '@hub/webhook-core';
import { APPROVAL_EVENT_TYPES } from './approval';
import { ApprovalActions } from './approval-action';
import { ApprovalOutboxSweeper } from './approval-outbox.sweeper';
import { ApprovalRunner } from './approval-runner.handler';
import { ApprovalsRepository } from './approvals.repository';
import { ApprovalsService } from './approvals.service';

/**
 * Human approvals: the service every channel decides through (REST, MCP, Telegram), and in the
 * worker the runner of approved actions and the outbox sweeper.
 */
@Module({})
export class ApprovalsModule implements OnModuleInit {
  constructor(private readonly registry: ProviderRegistry) {}

  static register(roles: ProcessRoles): DynamicModule {
    return {
      ...providerModule(ApprovalsModule, roles, {
        imports: [DiscoveryModule],
        providers: [ApprovalsRepository, ApprovalsService, ApprovalActions],
        workerProviders: [ApprovalRunner, ApprovalOutboxSweeper],
        exports: [ApprovalsService],
      }),
      global: true,
    };
  }

  onModuleInit(): void {
    this.registry.addEventTypes('hub', APPROVAL_EVENT_TYPES);
  }
}
