/** 红橙黄绿: the graded risk levels of DESIGN §5, lowest first. */
export const riskLevels = ['green', 'yellow', 'orange', 'red'] as const
export type RiskLevel = (typeof riskLevels)[number]

export function levelRank(level: RiskLevel): number {
  return riskLevels.indexOf(level)
}

export function maxLevel(a: RiskLevel, b: RiskLevel): RiskLevel {
  return levelRank(a) >= levelRank(b) ? a : b
}
