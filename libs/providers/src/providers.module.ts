import { Module } from '@nestjs/common';
import { MakeComModule } from './makecom/makecom.module';
import { SambaModule } from './samba/samba.module';
import { TavusModule } from './tavus/tavus.module';
import { TelegramBridgeModule } from './telegram-bridge/telegram-bridge.module';
import { WhatsAppModule } from './whatsapp/whatsapp.module';

/** Every inbound provider; each is its own module plugged into the webhook core. */
@Module({
  imports: [SambaModule, MakeComModule, TavusModule, WhatsAppModule, TelegramBridgeModule],
})
export class ProvidersModule {}
