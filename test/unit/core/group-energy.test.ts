// The group energy register: monotonic, counts each Wh once, survives a restart through the store.
import { GroupEnergyRegister } from '../../../src/core/group-energy';
import { openSqliteStore } from '../../../src/store/sqlite';

describe('group energy register', () => {
  it('adds the difference of consecutive readings per session, per group', () => {
    const store = openSqliteStore(':memory:');
    const register = new GroupEnergyRegister(store.kv);
    register.record('t1', 'g1', 1000);
    register.record('t2', 'g1', 50000);
    register.record('t3', 'g2', 10);
    register.record('t1', 'g1', 1500);
    register.record('t2', 'g1', 50250);
    register.record('t3', 'g2', 110);
    expect(register.totalWh('g1')).toBe(750);
    expect(register.totalWh('g2')).toBe(100);
    store.close();
  });

  it('a meter that goes backwards (reset) becomes the new baseline and never lowers the total', () => {
    const store = openSqliteStore(':memory:');
    const register = new GroupEnergyRegister(store.kv);
    register.record('t1', 'g1', 1000);
    register.record('t1', 'g1', 2000);
    register.record('t1', 'g1', 5);
    register.record('t1', 'g1', 105);
    expect(register.totalWh('g1')).toBe(1100);
    register.record('t1', 'g1', Number.NaN);
    register.record('t1', 'g1', -3);
    expect(register.totalWh('g1')).toBe(1100);
    store.close();
  });

  it('a baseline from the Started event counts energy from the start of the session', () => {
    const store = openSqliteStore(':memory:');
    const register = new GroupEnergyRegister(store.kv);
    register.baseline('t1', 'g1', 300);
    register.record('t1', 'g1', 800);
    expect(register.totalWh('g1')).toBe(500);
    store.close();
  });

  it('persists totals on flush, and only the groups that changed', () => {
    const store = openSqliteStore(':memory:');
    const register = new GroupEnergyRegister(store.kv);
    register.record('t1', 'g1', 0);
    register.record('t1', 'g1', 400);
    expect(register.flush()).toBe(1);
    expect(register.flush()).toBe(0);
    const restarted = new GroupEnergyRegister(store.kv);
    expect(restarted.totalWh('g1')).toBe(400);
    restarted.baseline('t1', 'g1', 400);
    restarted.record('t1', 'g1', 450);
    expect(restarted.totalWh('g1')).toBe(450);
    store.close();
  });
});
