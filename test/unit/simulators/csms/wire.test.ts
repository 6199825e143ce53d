// CSMS simulator's OCPP-J framing: CALL / CALLRESULT / CALLERROR read from text, what counts as malformed and
// whether it is answered, and the error-code spellings of 2.0.1 (P4-201 §4.3) and 1.6 (OCPP-J 1.6 §4.2.3).
import { errorCodes, parseFrame } from '../../../../simulators/csms';

describe('parseFrame', () => {
  it('reads the three message types', () => {
    expect(parseFrame('[2,"1","Heartbeat",{}]')).toEqual({ kind: 'call', messageId: '1', action: 'Heartbeat', payload: {} });
    expect(parseFrame('[3,"1",{"status":"Accepted"}]')).toEqual({ kind: 'result', messageId: '1', payload: { status: 'Accepted' } });
    expect(parseFrame('[4,"1","NotSupported","no",{"a":1}]')).toEqual({
      kind: 'error',
      messageId: '1',
      errorCode: 'NotSupported',
      errorDescription: 'no',
      errorDetails: { a: 1 },
    });
    // Some stations leave errorDetails out; the error is still theirs to report.
    expect(parseFrame('[4,"1","InternalError",""]')).toMatchObject({ kind: 'error', errorDetails: {} });
  });

  it.each([
    ['not json', '-1', true, 'format'],
    ['{"a":1}', '-1', true, 'format'],
    ['[2,17,"Heartbeat",{}]', '-1', true, 'format'],
    [`[2,"${'x'.repeat(37)}","Heartbeat",{}]`, '-1', true, 'format'],
    ['[2,"m","Heartbeat",[]]', 'm', true, 'format'],
    ['[2,"m","",{}]', 'm', true, 'format'],
    ['[2,"m","Heartbeat",{},1]', 'm', true, 'format'],
    ['[9,"m",{}]', 'm', true, 'messageType'],
    ['[3,"m"]', 'm', false, 'format'],
    ['[3,5,{}]', '-1', false, 'format'],
    ['[4,"m",1,2,{}]', 'm', false, 'format'],
  ])('%s → malformed under id %s, answered: %s (%s)', (raw, messageId, answer, code) => {
    expect(parseFrame(raw)).toMatchObject({ kind: 'malformed', messageId, answer, code });
  });
});

describe('errorCodes', () => {
  it('2.0.1 spells FormatViolation and OccurrenceConstraintViolation and has MessageTypeNotSupported', () => {
    expect(errorCodes('2.0.1')).toMatchObject({
      formatViolation: 'FormatViolation',
      occurrenceConstraintViolation: 'OccurrenceConstraintViolation',
      messageTypeNotSupported: 'MessageTypeNotSupported',
    });
  });

  it('1.6 spells FormationViolation and OccurenceConstraintViolation and has no MessageTypeNotSupported', () => {
    expect(errorCodes('1.6')).toMatchObject({
      formatViolation: 'FormationViolation',
      occurrenceConstraintViolation: 'OccurenceConstraintViolation',
      messageTypeNotSupported: 'FormationViolation',
      notImplemented: 'NotImplemented',
    });
  });
});
