import { Module } from '@nestjs/common';
import { WhatsAppModule } from './whatsapp/whatsapp.module';

/** Every inbound provider; each is its own module plugged into the webhook core. */
@Module({
  imports: [WhatsAppModule],
})
export class ProvidersModule {}
