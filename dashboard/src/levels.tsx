import type { JSX } from 'preact'
import { useT } from './i18n'
import type { RiskLevel } from './types'

/**
 * A level is never colour alone: the badge carries the word (红/RED) and a shape, so it reads
 * for colour-blind operators and on a washed-out wall screen.
 */
const SHAPES: Record<RiskLevel, string> = { red: '▲', orange: '◆', yellow: '●', green: '■' }

export function LevelBadge(props: { level: RiskLevel; large?: boolean }): JSX.Element {
  const { t } = useT()
  return (
    <span class={`level-badge level-${props.level}${props.large === true ? ' large' : ''}`} data-level={props.level}>
      <span aria-hidden="true">{SHAPES[props.level]}</span> {t(`level_${props.level}`)}
    </span>
  )
}
