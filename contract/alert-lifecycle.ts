/**
 * The words of an alert's lifecycle (DESIGN §4, §5) and of operators' roles, as the HTTP API
 * and the board both use them: open → acknowledged → resolved (back to open by a reopen), the
 * dispositions an operator resolves with, and who may do what.
 */
export const alertStatuses = ['open', 'acknowledged', 'resolved'] as const
export type AlertStatus = (typeof alertStatuses)[number]

export const dispositions = ['confirmed_fraud', 'false_alarm', 'referred_to_police', 'resolved_other'] as const
export type Disposition = (typeof dispositions)[number]

export const roles = ['admin', 'operator', 'police'] as const
export type Role = (typeof roles)[number]
