export {
  DEFAULT_RETRY_POLICY,
  resolveRetryPolicy,
  normalizeRetryPolicy,
  toStoredRetryPolicy,
  parseStoredRetryPolicy,
  toRetryPolicy,
  type BackoffShorthand,
  type BackoffStrategy,
  type BackoffInput,
  type RetryCondition,
  type RetryConditionInput,
  type RetryPolicyInput,
  type RetryPolicy,
  type StoredRetryPolicy,
} from './policy.js';
export { baseRetryDelay, computeRetryDelay, computeRetryAt, JITTER_MIN, JITTER_SPAN } from './delay.js';
export {
  isTransientError,
  retryConditionHolds,
  shouldRetry,
  decideRetry,
  errorMessageOf,
  errorPatternText,
  type RetryDecision,
} from './decision.js';
