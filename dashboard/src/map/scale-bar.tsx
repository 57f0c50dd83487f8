import type { JSX } from 'preact'

/**
 * A scale bar of a round length (at most `maxPx` long), drawn inside an SVG from (x, y): the
 * elder's location trail (pages/elder-charts.tsx) draws without a map library, so it keeps its
 * own; the Leaflet map has Leaflet's metric scale control, which rounds lengths the same way.
 */
const ROUND_DISTANCES = [20_000, 10_000, 5_000, 2_000, 1_000, 500, 200, 100, 50, 20, 10, 5]

/** The longest round distance (20 km, 10 km, 5 km … 5 m) not over `maxMetres`: a scale bar's length. */
export function roundDistance(maxMetres: number): number {
  return ROUND_DISTANCES.find((m) => m <= maxMetres) ?? ROUND_DISTANCES[ROUND_DISTANCES.length - 1] ?? 5
}

export function formatDistance(metres: number): string {
  return metres >= 1000 ? `${metres / 1000} km` : `${metres} m`
}

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
