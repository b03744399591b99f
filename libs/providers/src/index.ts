export { ProvidersModule } from './providers.module';
export { WhatsAppAdapter } from './whatsapp/whatsapp.adapter';
export { WhatsAppModule } from './whatsapp/whatsapp.module';
