import { Module } from '@nestjs/common';
import { ProvidersModule } from '@hub/providers';
import { AdminTokenGuard } from './auth/admin-token.guard';
import { EventTypesController } from './event-types/event-types.controller';
import { EventsController } from './events/events.controller';
import { StatusController } from './status/status.controller';

/** The HTTP side: provider ingress routes, the ops read API and status. */
@Module({
  imports: [ProvidersModule],
  controllers: [EventsController, EventTypesController, StatusController],
  providers: [AdminTokenGuard],
})
export class GatewayModule {}
