import { Counter, Gauge, type Registry } from 'prom-client'

/**
 * The watch port's own metrics, registered on the gateway's registry (a second gateway in the
 * same process has its own registry, so nothing here is global). Every refusal and every
 * discarded byte has a reason: a county's device maker must be able to see why a watch fails.
 */
export function createWatchMetrics(registry: Registry) {
  const registers = [registry]
  return {
    connections: new Gauge({ name: 'eg_watch_connections', help: 'Open connections on the watch port (identified or not)', registers }),
    watches: new Gauge({ name: 'eg_watch_connected_watches', help: 'Watches identified on the watch port', registers }),
    refused: new Counter({
      name: 'eg_watch_connections_refused_total',
      help: 'Watch-port connections closed by the gateway, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    frames: new Counter({ name: 'eg_watch_frames_total', help: 'Frames received from identified watches, by command', labelNames: ['command'] as const, registers }),
    frameProblems: new Counter({
      name: 'eg_watch_frame_problems_total',
      help: 'Bytes runs or frames discarded by the watch-port framing, by problem',
      labelNames: ['problem'] as const,
      registers,
    }),
    rejectedFrames: new Counter({
      name: 'eg_watch_frames_rejected_total',
      help: 'Well-framed watch frames whose content could not be decoded (dead-lettered)',
      registers,
    }),
    messages: new Counter({ name: 'eg_watch_voice_messages_sent_total', help: 'Voice MESSAGE frames written to watches, re-sends included', registers }),
  }
}

export type WatchMetrics = ReturnType<typeof createWatchMetrics>
