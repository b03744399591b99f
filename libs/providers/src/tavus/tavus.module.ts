import { Module } from '@nestjs/common';
import { TavusAdapter } from './tavus.adapter';
import { TavusController } from './tavus.controller';

@Module({
  controllers: [TavusController],
  providers: [TavusAdapter],
  exports: [TavusAdapter],
})
export class TavusModule {}
