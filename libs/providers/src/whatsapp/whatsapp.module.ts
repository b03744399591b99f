import { Module } from '@nestjs/common';
import { WhatsAppAdapter } from './whatsapp.adapter';
import { WhatsAppController } from './whatsapp.controller';

@Module({
  controllers: [WhatsAppController],
  providers: [WhatsAppAdapter],
  exports: [WhatsAppAdapter],
})
export class WhatsAppModule {}
