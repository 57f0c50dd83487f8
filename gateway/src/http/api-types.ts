import type { z } from 'zod'
import type { alertView } from '../alerts/alert-routes'
import type { venueCandidateView } from '../candidates/candidate-routes'
import type { deadLetterView, telemetryView } from '../intake/telemetry-routes'
import type { noticeView } from '../notices/notice-routes'
import type { Change } from '../stream/change-log-store'
import type { promptView } from '../voice/changes'
import type { deviceView } from './schemas/device-schemas'
import type { elderView } from './schemas/elder-schemas'
import type { policeStationView } from './schemas/police-station-schemas'
import type { profileView, userView } from './schemas/user-schemas'
import type { venueView } from './schemas/venue-schemas'
import type { boardConfigView } from './routes/board-config-routes'

/**
 * The HTTP API's answers and the live stream's changes as a client reads them (DESIGN §4): one
 * definition, inferred from the response schemas the handlers answer with (and the OpenAPI
 * document shows). The operator board imports these type-only — erased from its bundle — so a
 * field renamed here breaks the board's type check instead of its screens.
 */

/** What JSON makes of an answer: a Date goes out as its ISO-8601 string. */
export type Wire<T> = T extends Date
  ? string
  : T extends ReadonlyArray<infer E>
    ? Array<Wire<E>>
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T

type Answer<S extends z.ZodType> = Wire<z.output<S>>

export type AlertView = Answer<typeof alertView>
export type ElderView = Answer<typeof elderView>
export type DeviceView = Answer<typeof deviceView>
export type VenueView = Answer<typeof venueView>
export type VenueCandidateView = Answer<typeof venueCandidateView>
export type NoticeView = Answer<typeof noticeView>
export type UserView = Answer<typeof userView>
export type ProfileView = Answer<typeof profileView>
export type PoliceStationView = Answer<typeof policeStationView>
export type TelemetryView = Answer<typeof telemetryView>
export type DeadLetterView = Answer<typeof deadLetterView>
export type BoardConfigView = Answer<typeof boardConfigView>
export type VoicePromptView = Wire<ReturnType<typeof promptView>>
/** One change on `GET /api/v1/stream` (the SSE `data`); the tenant stays on the server. */
export type StreamChangeView = Omit<Change, 'tenantId'>
