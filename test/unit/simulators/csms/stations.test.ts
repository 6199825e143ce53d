// CSMS simulator's per-station book: boot answers per station (one status or a sequence whose last repeats),
// authorization per idToken, transaction ids unique across stations, the transaction in progress.
import { CsmsSimulatorOptions } from '../../../../simulators/csms';
import { StationBook } from '../../../../simulators/csms/stations';

function book(input: Parameters<typeof CsmsSimulatorOptions.parse>[0] = {}): StationBook {
  return new StationBook(CsmsSimulatorOptions.parse(input));
}

describe('StationBook', () => {
  it('boot: default status and interval; per-station sequence with the retry interval for Pending/Rejected', () => {
    const stations = book({ boot: { intervalS: 60, retryIntervalS: 5, perStation: { 'CS-2': ['Pending', 'Rejected', 'Accepted'] } } });
    expect(stations.context('CS-1').nextBoot()).toEqual({ status: 'Accepted', intervalS: 60 });
    const cs2 = stations.context('CS-2');
    expect([cs2.nextBoot(), cs2.nextBoot(), cs2.nextBoot(), cs2.nextBoot()]).toEqual([
      { status: 'Pending', intervalS: 5 },
      { status: 'Rejected', intervalS: 5 },
      { status: 'Accepted', intervalS: 60 },
      { status: 'Accepted', intervalS: 60 },
    ]);
    expect(stations.get('CS-2')).toMatchObject({ boots: 4, bootStatus: 'Accepted' });
    stations.setBootAnswers('CS-2', ['Rejected', 'Pending']);
    expect([cs2.nextBoot().status, cs2.nextBoot().status, cs2.nextBoot().status]).toEqual(['Rejected', 'Pending', 'Pending']);
  });

  it('authorization per idToken with a default', () => {
    const context = book({ authorization: { default: 'Invalid', idTokens: { GOOD: 'Accepted' } } }).context('CS-1');
    expect([context.authorize('GOOD'), context.authorize('OTHER')]).toEqual(['Accepted', 'Invalid']);
  });

  it('transaction ids are unique positive integers across stations; the one in progress follows start and end', () => {
    const stations = book();
    const a = stations.context('CS-A');
    const b = stations.context('CS-B');
    const ids = [a.newTransactionId(), b.newTransactionId(), a.newTransactionId()];
    expect(ids).toEqual([1, 2, 3]);
    a.transactionSeen(3, false);
    a.transactionSeen(1, true); // ending another transaction keeps the one in progress
    expect(stations.get('CS-A').transactionId).toBe(3);
    a.transactionSeen(3, true);
    expect(stations.get('CS-A').transactionId).toBeUndefined();
  });
});
