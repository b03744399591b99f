import { Module } from '@nestjs/common';
import { MakeComAdapter } from './makecom.adapter';
import { MakeComController } from './makecom.controller';

/** Make.com inbound webhooks: `POST /api/webhook/make.com/:scenario`, source `makecom`. */
@Module({
  controllers: [MakeComController],
  providers: [MakeComAdapter],
  exports: [MakeComAdapter],
})
export class MakeComModule {}
