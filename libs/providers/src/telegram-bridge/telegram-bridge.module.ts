import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { ProcessRoles, ProviderRegistry, providerModule } from '@hub/webhook-core';
import { BridgeHealthHandler, HUB_ALERT_TYPE } from './bridge-health.handler';
import { BridgeHealthRepository } from './bridge-health.repository';
import { CcTelegramAdapter } from './cctelegram.adapter';
import { CcTelegramController } from './cctelegram.controller';
import { TelegramBotAdapter } from './telegram-bot.adapter';
import { TelegramBotController } from './telegram-bot.controller';
import { TelegramApprovalsHandler } from './telegram-approvals.handler';
import { TelegramBotApiClient } from './telegram-bot-api.client';
import { TELEGRAM_QUEUE, TelegramCalls } from './telegram-calls.queue';
import { TelegramCallsProcessor } from './telegram-calls.processor';

/**
 * Two Telegram senders, the CCTelegram bridge (source `cctelegram`) and the Bot API itself (source
 * `telegram`), approvals decided from either (TelegramApprovalsHandler) and the bridge's health
 * with its alerts (BridgeHealthHandler), both in the worker.
 */
@Module({})
export class TelegramBridgeModule implements OnModuleInit {
  constructor(private readonly registry: ProviderRegistry) {}

  onModuleInit(): void {
    this.registry.addEventTypes('hub', [HUB_ALERT_TYPE]);
  }

  static register(roles: ProcessRoles): DynamicModule {
    return providerModule(TelegramBridgeModule, roles, {
      imports: [
        BullModule.registerQueue({
          name: TELEGRAM_QUEUE,
          defaultJobOptions: { removeOnComplete: { age: 86_400, count: 10_000 }, removeOnFail: { age: 7 * 86_400 } },
        }),
      ],
      controllers: [CcTelegramController, TelegramBotController],
      providers: [CcTelegramAdapter, TelegramBotAdapter, TelegramBotApiClient, TelegramCalls, BridgeHealthRepository],
      workerProviders: [TelegramApprovalsHandler, TelegramCallsProcessor, BridgeHealthHandler],
      exports: [CcTelegramAdapter, TelegramBotAdapter],
    });
  }
}
