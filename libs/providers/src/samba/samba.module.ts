import { Module } from '@nestjs/common';
import { DigitalSambaAdapter } from './samba.adapter';
import { DigitalSambaController } from './samba.controller';

/** Digital Samba inbound webhooks: `POST /webhooks/digitalsamba`, source `digitalsamba`. */
@Module({
  controllers: [DigitalSambaController],
  providers: [DigitalSambaAdapter],
  exports: [DigitalSambaAdapter],
})
export class SambaModule {}
