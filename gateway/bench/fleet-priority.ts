import type { ChildProcess } from 'node:child_process'
import os from 'node:os'

/**
 * The simulated devices of a benchmark run on the machine under test, which a real fleet never
 * does: watches and cameras are elsewhere, and their CPU is not the gateway's. On this 2-core
 * machine a generator at the same priority takes its share of the cores the gateway and
 * PostgreSQL need, and every time the scheduler runs it first, a PUBACK or a voice command waits
 * (bench:latency, alternating runs on 2026-12-03: p99 25 and 36 ms at nice 10, 52 and 38 ms at
 * nice 0; over the day 24–49 ms in eight runs at nice 10, 31–151 ms at nice 0). So the generator
 * process runs at a lower priority — for the bare broker and the
 * gateway alike — and still gets every cycle nobody else wants. `--fleet-nice 0` turns it off.
 */
export const DEFAULT_FLEET_NICE = 10

export function fleetNiceFrom(args: Record<string, string>): number {
  const n = Number(args['fleet-nice'] ?? DEFAULT_FLEET_NICE)
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error(`--fleet-nice must be an integer 0–19, got ${args['fleet-nice']}`)
  return n
}

/** Lowers the priority of the generator process `child` to `nice` (never raises it; a no-op at 0). */
export function runAsRemoteFleet(child: ChildProcess, nice: number): void {
  if (nice === 0 || child.pid === undefined) return
  // Raising a priority needs privileges; a bench already running niced leaves it as it is.
  os.setPriority(child.pid, Math.max(nice, os.getPriority(child.pid)))
}
