import { Global, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { FleetEvents } from './fleet-events';

/** The fleet's domain events (FleetEvents.emit after commit, @OnEvent to listen), available to every module. */
@Global()
@Module({
  imports: [EventEmitterModule.forRoot()],
  providers: [FleetEvents],
  exports: [FleetEvents],
})
export class EventsModule {}
