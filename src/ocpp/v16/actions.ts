// The OCPP 1.6J station → CSMS actions flexbridge answers itself (direct mode; 1.6 digest §2): boot and heartbeat,
// connector states, transactions with the ids flexbridge assigns, meter values, Authorize by the configured policy.
import { z } from 'zod';
import { acknowledgedActions, action, type InboundAction, type InboundContext } from '../inbound-action';
import { BOOT_PENDING_INTERVAL_S } from '../v201/boot';
import type { StationRuntime } from '../station-registry';
import {
  asMeterValues,
  Authorize16,
  BootNotification16,
  MeterValues16,
  StartTransaction16,
  StatusNotification16,
  StopTransaction16,
} from './payloads';
import { chargingStateOf, connectorStatusOf, isSameStart, NO_TRANSACTION, startedSession, stoppedSession } from './transaction-messages';

function idTagInfo(context: InboundContext): { status: 'Accepted' | 'Invalid' } {
  return { status: context.authorize === 'accept-all' ? 'Accepted' : 'Invalid' };
}

/**
 * A transaction the station started on a connector, under the id it was given (by flexbridge, or in Local Controller
 * mode by the CSMS). A connector still holding another transaction lost its StopTransaction: that one is ended.
 */
export function openTransaction(context: InboundContext, runtime: StationRuntime, start: StartTransaction16, transactionId: number): void {
  const { stationId, groupId } = runtime.record;
  const nowMs = context.nowMs();
  context.evseSeen(runtime, start.connectorId);
  const held = runtime.transactionByEvse.get(start.connectorId);
  if (held !== undefined && held !== String(transactionId)) {
    runtime.transactionByEvse.delete(start.connectorId);
    context.sessions.endStale(held, nowMs);
  }
  if (transactionId === NO_TRANSACTION || context.sessions.get(String(transactionId))) return;
  const session = startedSession(start, transactionId, { stationId, groupId, nowMs }, undefined);
  context.sessions.record(undefined, session, { started: true, ended: false });
  runtime.transactionByEvse.set(start.connectorId, session.transactionId);
}

/** A StopTransaction: the session ends with the station's final reading; a repeated or unknown one changes nothing. */
export function closeTransaction(context: InboundContext, runtime: StationRuntime, stop: StopTransaction16): void {
  const { stationId } = runtime.record;
  if (stop.transactionId === NO_TRANSACTION) {
    context.logger.info('StopTransaction for transaction -1 (its start never reached a CSMS) answered', { stationId });
    return;
  }
  const transactionId = String(stop.transactionId);
  const held = context.sessions.find(transactionId, stationId);
  if (!held) {
    context.logger.warn('StopTransaction for a transaction flexbridge does not know', { stationId, transactionId });
    return;
  }
  if (held.endedAt !== undefined && !held.endInferred) {
    context.logger.info('StopTransaction for an ended transaction ignored: an ended transaction is final', { stationId, transactionId });
    return;
  }
  const session = stoppedSession(held, stop, context.nowMs());
  context.sessions.record(held, session, { started: false, ended: true });
  if (runtime.transactionByEvse.get(session.evseId) === transactionId) runtime.transactionByEvse.delete(session.evseId);
}

/** Actions whose reading is the same in both modes (the relay taps them; direct mode answers them too). */
export const TAPPED_ACTIONS_16: Record<string, InboundAction> = {
  StatusNotification: action(StatusNotification16, (context, { runtime }, status) => {
    const { stationId } = runtime.record;
    const { connectorId } = status;
    runtime.connectors.set(`${connectorId}/${connectorId === 0 ? 0 : 1}`, connectorStatusOf(status.status));
    if (connectorId === 0) return {};
    context.evseSeen(runtime, connectorId);
    const transactionId = runtime.transactionByEvse.get(connectorId);
    if (transactionId !== undefined) {
      if (status.status === 'Available') {
        // 1.6 lets a StatusNotification overtake queued transaction messages (C16 §3.7): the end is provisional,
        // and the StopTransaction that follows sets the final time and meter reading.
        runtime.transactionByEvse.delete(connectorId);
        context.sessions.endStale(transactionId, context.nowMs());
      } else {
        const state = chargingStateOf(status.status);
        if (state) context.sessions.chargingStateChanged(transactionId, state);
      }
    }
    if (status.status === 'Faulted') {
      context.logger.warn('connector faulted', { stationId, connectorId, errorCode: status.errorCode, info: status.info });
    }
    return {};
  }),

  MeterValues: action(MeterValues16, (context, { runtime }, meter) => {
    // transactionId -1: its StartTransaction never got through (E16 3.18); answered, attached to nothing.
    if (meter.transactionId === NO_TRANSACTION || meter.connectorId === 0) return {};
    const transactionId =
      meter.transactionId !== undefined ? String(meter.transactionId) : runtime.transactionByEvse.get(meter.connectorId);
    if (transactionId !== undefined && context.sessions.get(transactionId)?.stationId === runtime.record.stationId) {
      context.sessions.meterValues(transactionId, asMeterValues(meter.meterValue));
    }
    return {};
  }),

  StopTransaction: action(StopTransaction16, (context, { runtime }, stop) => {
    closeTransaction(context, runtime, stop);
    return stop.idTag === undefined ? {} : { idTagInfo: idTagInfo(context) };
  }),
};

export const ANSWERED_ACTIONS_16: Record<string, InboundAction> = {
  BootNotification: action(
    BootNotification16,
    (context, station, boot) => {
      context.bootReported(station.runtime, {
        vendor: boot.chargePointVendor,
        model: boot.chargePointModel,
        ...((boot.chargePointSerialNumber ?? boot.chargeBoxSerialNumber) !== undefined && {
          serialNumber: boot.chargePointSerialNumber ?? boot.chargeBoxSerialNumber,
        }),
        ...(boot.firmwareVersion !== undefined && { firmwareVersion: boot.firmwareVersion }),
      });
      const status = context.booted(station);
      context.logger.info('boot notification', {
        stationId: station.runtime.record.stationId,
        protocol: '1.6',
        model: boot.chargePointModel,
        vendor: boot.chargePointVendor,
        status,
      });
      const interval = status === 'Accepted' ? context.heartbeatIntervalS : BOOT_PENDING_INTERVAL_S;
      return { currentTime: new Date(context.nowMs()).toISOString(), interval, status };
    },
    { whilePending: true },
  ),

  Heartbeat: action(z.object({}), (context) => ({ currentTime: new Date(context.nowMs()).toISOString() })),

  Authorize: action(Authorize16, (context) => ({ idTagInfo: idTagInfo(context) })),

  StartTransaction: action(StartTransaction16, (context, { runtime }, start) => {
    // A repeated start (the station did not get our answer) gets the id it was given, not a second transaction.
    const held = runtime.transactionByEvse.get(start.connectorId);
    const session = held === undefined ? undefined : context.sessions.get(held);
    const transactionId =
      session && isSameStart(session, start, context.nowMs()) ? Number(session.transactionId) : context.mintTransactionId();
    openTransaction(context, runtime, start, transactionId);
    return { transactionId, idTagInfo: idTagInfo(context) };
  }),
};

/** Notifications with nothing to do for a Flexibility Provider: answered with their minimal valid response. */
const ACKNOWLEDGED_16: Record<string, object> = {
  FirmwareStatusNotification: {},
  DiagnosticsStatusNotification: {},
  SecurityEventNotification: {},
  LogStatusNotification: {},
  SignedFirmwareStatusNotification: {},
  SignCertificate: { status: 'Rejected' },
  // The schema's enum value (the 1.6 text says UnknownVendor): no vendor extension is handled.
  DataTransfer: { status: 'UnknownVendorId' },
};

export const ACKNOWLEDGED_ACTIONS_16: Record<string, InboundAction> = acknowledgedActions(ACKNOWLEDGED_16);
