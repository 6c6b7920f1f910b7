export * from './types.js';
export { trigger, type TaskRef } from './builders.js';
export { validateTriggerRule, parseTriggerRule, wrapTriggerInput, taskRefsOf, mapTaskRefs } from './validate.js';
export {
  evaluateTriggerRule,
  evaluateContextOperator,
  TRIGGER_SKIP_PREFIX,
  type TriggerEvaluation,
  type TriggerEvaluationInput,
} from './evaluate.js';
