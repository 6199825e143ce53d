// What a station reports about itself (G-block status, K-block limits and reports): connector states, external
// limits, the profiles it holds and its device-model report. Plain notifications are acknowledged and logged.
import { acknowledgedActions, action, type InboundAction } from '../inbound-action';
import { maxProfilesFromReport } from './discovery';
import { NotifyChargingLimitRequest, NotifyReportRequest, ReportChargingProfilesRequest, StatusNotificationRequest } from './payloads';

export const STATUS_ACTIONS: Record<string, InboundAction> = {
  StatusNotification: action(StatusNotificationRequest, (context, { runtime }, status) => {
    runtime.connectors.set(`${status.evseId}/${status.connectorId}`, status.connectorStatus);
    context.evseSeen(runtime, status.evseId);
    const transactionId = runtime.transactionByEvse.get(status.evseId);
    if (status.connectorStatus === 'Available' && transactionId) {
      runtime.transactionByEvse.delete(status.evseId);
      context.sessions.endStale(transactionId, context.nowMs());
    }
    if (status.connectorStatus === 'Faulted') {
      context.logger.warn('connector faulted', {
        stationId: runtime.record.stationId,
        evseId: status.evseId,
        connectorId: status.connectorId,
      });
    }
    return {};
  }),

  NotifyChargingLimit: action(NotifyChargingLimitRequest, (context, { runtime }, request) => {
    // An external limit only lowers what the station draws; core keeps counting our own (higher) limit.
    runtime.externalLimits.set(request.evseId ?? 0, request.chargingLimit.chargingLimitSource);
    context.logger.info('external charging limit', {
      stationId: runtime.record.stationId,
      evseId: request.evseId ?? 0,
      source: request.chargingLimit.chargingLimitSource,
    });
    return {};
  }),

  ReportChargingProfiles: action(ReportChargingProfilesRequest, (context, { runtime }, report) => {
    context.chargingProfilesReported(runtime.record.stationId, report.requestId, report.chargingProfile, report.tbc ?? false);
    return {};
  }),

  NotifyReport: action(NotifyReportRequest, (context, { runtime }, report) => {
    const maxProfiles = maxProfilesFromReport(report.reportData ?? []);
    if (maxProfiles !== undefined) context.maxProfilesReported(runtime, maxProfiles);
    return {};
  }),
};

/** Actions answered with their minimal valid response: nothing else to do for a Flexibility Provider. */
const ACKNOWLEDGED: Record<string, object> = {
  SecurityEventNotification: {},
  NotifyEvent: {},
  FirmwareStatusNotification: {},
  LogStatusNotification: {},
  PublishFirmwareStatusNotification: {},
  NotifyMonitoringReport: {},
  NotifyCustomerInformation: {},
  NotifyDisplayMessages: {},
  ReservationStatusUpdate: {},
  ClearedChargingLimit: {},
  NotifyEVChargingSchedule: { status: 'Accepted' },
  SignCertificate: { status: 'Rejected' },
  DataTransfer: { status: 'UnknownVendorId' },
};

export const ACKNOWLEDGED_ACTIONS: Record<string, InboundAction> = acknowledgedActions(ACKNOWLEDGED);
