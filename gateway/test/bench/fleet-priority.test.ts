import { spawn } from 'node:child_process'
import { once } from 'node:events'
import os from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_FLEET_NICE, fleetNiceFrom, runAsRemoteFleet } from '../../bench/fleet-priority'

/** The benchmarks' simulated fleet runs below the system under test (fleet-priority.ts says why). */
describe('bench fleet priority', () => {
  const children: Array<ReturnType<typeof spawn>> = []
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null) {
        c.kill('SIGKILL')
        await once(c, 'exit')
      }
    }
  })

  function sleeper() {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    children.push(child)
    return child
  }

  it('lowers the priority of the generator process, and leaves it alone at 0', () => {
    const base = os.getPriority(process.pid)
    const niced = sleeper()
    runAsRemoteFleet(niced, fleetNiceFrom({}))
    expect(os.getPriority(niced.pid)).toBe(Math.max(base, DEFAULT_FLEET_NICE))
    const plain = sleeper()
    runAsRemoteFleet(plain, fleetNiceFrom({ 'fleet-nice': '0' }))
    expect(os.getPriority(plain.pid)).toBe(base)
  })

  it('refuses a nice value outside 0–19', () => {
    expect(() => fleetNiceFrom({ 'fleet-nice': '-5' })).toThrow(/0–19/)
    expect(() => fleetNiceFrom({ 'fleet-nice': 'fast' })).toThrow(/0–19/)
    expect(fleetNiceFrom({ 'fleet-nice': '3' })).toBe(3)
  })
})
