// Every port of core in one place, by direction: outbound (grid, stations, repositories, planner, clock), inbound
// (what the adapters call), and the read side (queries). Adapters implement or call these; core imports no adapter.
export * from './clock';
export * from './grid';
export * from './inbound';
export * from './planner';
export * from './queries';
export * from './repositories';
export * from './stations';
