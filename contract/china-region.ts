/**
 * Where the Chinese map datums apply. GCJ-02 (and BD-09, derived from it) is the offset that
 * Chinese law requires of maps of mainland China; outside it, AMap, Tencent and Baidu give
 * plain WGS-84, so a position there is never shifted.
 *
 * gcoord's own test is a single box (lon 72.0–137.8, lat 0.8–55.8) that takes in Seoul,
 * Bangkok, Hanoi, Taipei and half of Mongolia, and its BD-09 conversion has no test at all
 * (a BD-09 point in Paris moves 500 m). Here mainland China is the rectangle approximation that
 * Chinese map SDK users have shared since 2012: six boxes covering the mainland and Hainan,
 * less six boxes over Taiwan, northern Vietnam and Laos, Mongolia and the Russian Far East.
 * Its edges are coarse (tens of km), which only matters for a border town.
 *
 * Boxes are [south, west, north, east] in degrees.
 */
type Box = readonly [south: number, west: number, north: number, east: number]

const MAINLAND: readonly Box[] = [
  [42.8899, 79.4462, 49.2204, 96.33],
  [39.3742, 109.6872, 54.1415, 135.0002],
  [29.5297, 73.1246, 42.8899, 124.143255],
  [26.7186, 82.9684, 29.5297, 97.0352],
  [20.414096, 97.0253, 29.5297, 124.367395],
  [17.871542, 107.975793, 20.414096, 111.744104],
]

const EXCLUDED: readonly Box[] = [
  // Taiwan
  [21.785006, 119.921265, 25.398623, 122.497559],
  // northern Vietnam and Laos
  [20.0988, 101.8652, 22.284, 106.665],
  [20.4878, 106.4525, 21.5422, 108.051],
  // Mongolia, the Russian Far East
  [50.3257, 109.0323, 55.8175, 119.127],
  [49.5574, 127.4568, 55.8175, 137.0227],
  [42.5692, 131.2662, 44.8922, 137.0227],
]

function inBox(box: Box, lat: number, lon: number): boolean {
  return lat >= box[0] && lat <= box[2] && lon >= box[1] && lon <= box[3]
}

/** Whether the GCJ-02 / BD-09 offsets apply at this position (either datum: the offset is < 1 km). */
export function inMainlandChina(lat: number, lon: number): boolean {
  return MAINLAND.some((box) => inBox(box, lat, lon)) && !EXCLUDED.some((box) => inBox(box, lat, lon))
}
