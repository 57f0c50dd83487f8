import { Counter, type Registry } from 'prom-client'

/** Voice prompts in Prometheus terms; created with every other metric by metrics.ts createMetrics. */
export function createVoiceMetrics(registry: Registry) {
  const registers = [registry]
  return {
    transitions: new Counter({ name: 'eg_voice_prompt_transitions_total', help: 'Voice prompt status changes by new status', labelNames: ['status'] as const, registers }),
    sends: new Counter({ name: 'eg_voice_commands_sent_total', help: 'Voice commands published to devices, re-sends included', registers }),
  }
}

export type VoiceMetrics = ReturnType<typeof createVoiceMetrics>
