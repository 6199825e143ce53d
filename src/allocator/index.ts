// Public face of the allocator: `allocate(input) → Plan` (pure, deterministic, no I/O or clock) and
// `planTransition(inForce, next)` (decreases before increases). See docs/allocation.md for the policy.
export { allocate, phaseMask } from './allocate';
export { planTransition, type LimitChange, type Transition } from './transition';
export { stableHash } from './admission';
export {
  DEFAULT_ALLOCATION_OPTIONS,
  REASONS,
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
