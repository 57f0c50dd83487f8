import type { TownFile } from '../town/town'

/**
 * Which secret signs what arrives on which path: the town's police station on its webhook
 * path, each family contact on theirs (seed points them at `<receiver>/police` and
 * `<receiver>/family/<elder>`). `extra` (--secret) is accepted on every path.
 */
export function secretBook(town: TownFile | undefined, extra?: string): Map<string, string[]> {
  const book = new Map<string, string[]>()
  const add = (path: string, secret: string) => book.set(path, [...(book.get(path) ?? []), secret])
  if (town) {
    add(pathOf(town.policeStation.webhookUrl), town.policeStation.secret)
    for (const elder of town.elders) for (const c of elder.contacts) add(pathOf(c.webhookUrl), c.secret)
  }
  if (extra) {
    for (const secrets of book.values()) secrets.push(extra)
    book.set('*', [extra])
  }
  return book
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname
  } catch {
    return url
  }
}
