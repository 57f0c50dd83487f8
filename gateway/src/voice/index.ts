/**
 * Voice prompts (喊话): templates, the alert-effect planner, the MQTT dispatcher and the routes.
 *
 * Wiring in gateway.ts:
 * - planners: createVoicePlanner({ ttlMs, maxPerHour }) in composeAlertEffects, after alertChangeLogPlanner;
 * - dispatcher = createVoiceDispatcher({ db, broker, logger, metrics }) once the broker is up;
 *   wake: (changes) => dispatcher.wake(changes) in composeAlertEffects;
 *   broker hook onConnect: (device) => dispatcher.deviceConnected(device.deviceId);
 *   intake sink onAcks: (acks) => dispatcher.onAcks(acks);
 *   dispatcher.onChanges(...) → the live stream; dispatcher.close() on shutdown, before the broker;
 * - plugins: voiceRoutes({ db, afterCommit: (changes) => effects.afterCommit(changes) }).
 */
export { createVoicePlanner, DEFAULT_MAX_PROMPTS_PER_HOUR, DEFAULT_VOICE_TTL_MS, type VoicePlannerOptions } from './planner'
export { createVoiceDispatcher, type VoiceDispatcher, type VoiceDispatcherOptions } from './dispatcher'
export { voiceRoutes, type VoiceRouteDeps } from './routes'
export { voicePromptText, resolveVoiceLanguage, type VoiceLanguage } from './templates'
export type { VoicePrompt } from './voice-store'
export type { VoicePromptStatus } from './status'
