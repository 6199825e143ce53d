// B01–B03 and heartbeats: BootNotification answered by the boot gate (Pending until the standing limits are in),
// Heartbeat with the CSMS clock.
import { z } from 'zod';
import { action, type InboundAction } from '../inbound-action';
import { BootNotificationRequest } from './payloads';

/** A Pending (or later Rejected) station waits at least this long before it boots again. */
export const BOOT_PENDING_INTERVAL_S = 10;

export const BOOT_ACTIONS: Record<string, InboundAction> = {
  BootNotification: action(
    BootNotificationRequest,
    (context, station, boot) => {
      const { chargingStation } = boot;
      context.bootReported(station.runtime, {
        vendor: chargingStation.vendorName,
        model: chargingStation.model,
        ...(chargingStation.serialNumber !== undefined && { serialNumber: chargingStation.serialNumber }),
        ...(chargingStation.firmwareVersion !== undefined && { firmwareVersion: chargingStation.firmwareVersion }),
      });
      const status = context.booted(station);
      context.logger.info('boot notification', {
        stationId: station.runtime.record.stationId,
        reason: boot.reason,
        model: boot.chargingStation.model,
        vendor: boot.chargingStation.vendorName,
        status,
      });
      const interval = status === 'Accepted' ? context.heartbeatIntervalS : BOOT_PENDING_INTERVAL_S;
      return { currentTime: new Date(context.nowMs()).toISOString(), interval, status };
    },
    { whilePending: true },
  ),
  Heartbeat: action(z.object({}), (context) => ({ currentTime: new Date(context.nowMs()).toISOString() })),
};
