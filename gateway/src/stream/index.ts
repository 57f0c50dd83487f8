/** The live stream for the board: change bus, SSE route, change-log pruning. */
export { createChangeBus, type ChangeBus, type ChangeListener } from './change-bus'
export { streamRoutes, type StreamDeps } from './stream-routes'
export { startChangeLogPruning, type ChangeLogPruning, type ChangeLogPruningOptions } from './change-log-pruning'
export { defaultStreamLimits, type StreamLimits } from './stream-connection'
