import type { JSX } from 'preact'
import { formatDistance, roundDistance } from './projection'

/**
 * A scale bar of a round length (at most `maxPx` long), drawn inside an SVG from (x, y):
 * the map and the elder's trail share it so both read the same way.
 */
export function ScaleBar(props: { x: number; y: number; metresPerPixel: number; maxPx: number }): JSX.Element {
  const metres = roundDistance(props.maxPx * props.metresPerPixel)
  const length = metres / props.metresPerPixel
  return (
    <g data-testid="scale-bar">
      <line x1={props.x} y1={props.y} x2={props.x + length} y2={props.y} class="scale-bar" />
      <text x={props.x} y={props.y - 8} class="chart-label">
        {formatDistance(metres)}
      </text>
    </g>
  )
}
