/**
 * 红橙黄绿: the graded risk levels of DESIGN §5, lowest first. The one definition: the gateway's
 * alerts and notices, the simulators' scenario ground truth and the board all import it.
 */
export const riskLevels = ['green', 'yellow', 'orange', 'red'] as const
export type RiskLevel = (typeof riskLevels)[number]

/** Highest first: the order operators read them in (board filters, counts). */
export const riskLevelsHighestFirst: readonly RiskLevel[] = [...riskLevels].reverse()

export function levelRank(level: RiskLevel): number {
  return riskLevels.indexOf(level)
}

export function maxLevel(a: RiskLevel, b: RiskLevel): RiskLevel {
  return levelRank(a) >= levelRank(b) ? a : b
}
