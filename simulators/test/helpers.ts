import { generateTown } from '../src/town/generate'
import { Town } from '../src/town/town'

/** A small generated town with fake gateway ids, for tests that need no gateway. */
export function testTown(elders = 6, seed = 42): Town {
  const town = new Town(generateTown({ seed, elders, receiverUrl: 'http://127.0.0.1:9090' }))
  town.elders.forEach((e, i) => {
    e.id = `elder-${i}`
    e.watch = { id: `w-${i}`, secret: 's'.repeat(20) }
    e.camera = { id: `c-${i}`, secret: 's'.repeat(20) }
  })
  return town
}

export const DAY0 = Date.parse('2026-11-02T00:00:00+08:00') // a Monday
