import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { ProcessRoles, providerModule } from '@hub/webhook-core';
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
 * `telegram`), and approvals decided from either (TelegramApprovalsHandler, in the worker).
 */
@Module({})
export class TelegramBridgeModule {
  static register(roles: ProcessRoles): DynamicModule {
    return providerModule(TelegramBridgeModule, roles, {
      imports: [
        BullModule.registerQueue({
          name: TELEGRAM_QUEUE,
          defaultJobOptions: { removeOnComplete: { age: 86_400, count: 10_000 }, removeOnFail: { age: 7 * 86_400 } },
        }),
      ],
      controllers: [CcTelegramController, TelegramBotController],
      providers: [CcTelegramAdapter, TelegramBotAdapter, TelegramBotApiClient, TelegramCalls],
      workerProviders: [TelegramApprovalsHandler, TelegramCallsProcessor],
      exports: [CcTelegramAdapter, TelegramBotAdapter],
    });
  }
}
