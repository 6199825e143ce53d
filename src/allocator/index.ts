// Public face of the allocator: `allocate(input) → Plan`, pure and deterministic, no I/O or clock.
// See docs/allocation.md for the policy; core's GroupController applies a plan decreases first.
export { allocate } from './allocate';
export {
  limitOf,
  reasonOf,
  type AllocationBlock,
  type AllocationInput,
  type AllocationOptions,
  type AllocationSession,
  type FixedLoad,
  type Plan,
  type Reason,
} from './model';
