import { NoticeReceiver, type StoredNotice } from '../police/receiver'
import { secretBook } from '../police/secret-book'
import { Town } from '../town/town'
import { interrupted, num, str, UsageError, type Command } from './args'

export const policeCommand: Command = {
  name: 'police',
  summary: 'A police-station (and family) webhook receiver: verifies X-Eldergate-Signature, parses JSON and\nCAP 1.2 notices, honours Idempotency-Key, optionally fails first deliveries and sends receipts.',
  notes: [
    'Paths: POST /police (the town\'s station), POST /family/<elder> (contacts), GET /notices (JSON list).',
    'Prints one line per notice: level, rule, elder, summary. Ctrl-C prints a summary.',
    '',
    'Example:',
    '  npm run sim -- police --town town.json --fail-first 3 --receipts',
  ].join('\n'),
  options: {
    port: { type: 'string', default: '9090', value: 'port', help: 'port to listen on (0: any free port)' },
    host: { type: 'string', default: '127.0.0.1', value: 'addr', help: 'address to listen on' },
    town: { type: 'string', value: 'file', help: 'town file: the station and contact secrets' },
    secret: { type: 'string', value: 'secret', help: 'a signing secret accepted on every path (instead of or besides --town; or EG_SIM_RECEIVER_SECRET)' },
    'fail-first': { type: 'string', default: '0', value: 'n', help: 'answer 503 to the first n signed deliveries (to see retries)' },
    receipts: { type: 'boolean', help: 'send a signed receipt {status: received, caseNumber} to each notice\'s receiptUrl' },
    gateway: { type: 'string', value: 'url', help: 'gateway base URL for relative receipt URLs (default: the town\'s)' },
    'max-skew': { type: 'string', default: '300', value: 's', help: 'refuse timestamps further than this from now' },
  },
  async run(values) {
    const townPath = str(values, 'town')
    const town = townPath ? await Town.load(townPath) : undefined
    const secret = str(values, 'secret') ?? (process.env.EG_SIM_RECEIVER_SECRET || undefined)
    if (!town && !secret) throw new UsageError('give --town or --secret (the signing secret)')
    const gatewayUrl = str(values, 'gateway') ?? town?.file.gatewayUrl
    const receiver = new NoticeReceiver({
      port: num(values, 'port', { integer: true, min: 0, max: 65_535 }),
      host: str(values, 'host') ?? '127.0.0.1',
      secrets: secretBook(town?.file, secret),
      failFirst: num(values, 'fail-first', { integer: true, min: 0 }),
      receipts: values.receipts === true,
      maxSkewS: num(values, 'max-skew', { min: 1 }),
      ...(gatewayUrl ? { gatewayUrl } : {}),
      onNotice: (n) => console.log(noticeLine(n)),
      onRefused: (path, reason) => console.log(`${new Date().toISOString()} REFUSED ${path}: signature ${reason}`),
    })
    const port = await receiver.listen()
    console.log(`police receiver on http://${str(values, 'host') ?? '127.0.0.1'}:${port} (POST /police, /family/<elder>; GET /notices)`)
    await interrupted()
    await receiver.close()
    const s = receiver.stats
    const levels = receiver.notices.reduce<Record<string, number>>((m, n) => ({ ...m, [n.level]: (m[n.level] ?? 0) + 1 }), {})
    console.log(
      [
        `received ${s.received} notices (${Object.entries(levels).map(([l, n]) => `${l} ${n}`).join(', ') || 'none'})`,
        `  duplicates answered 200   ${s.duplicates}`,
        `  failed on purpose (503)   ${s.failedOnPurpose}`,
        `  refused (401)             ${Object.entries(s.refused).map(([r, n]) => `${r} ${n}`).join(', ') || '0'}`,
        `  unparseable (400)         ${s.unparseable}`,
        `  receipts sent             ${receiver.notices.filter((n) => n.receipt?.ok).length} ok, ${receiver.notices.filter((n) => n.receipt && !n.receipt.ok).length} failed`,
      ].join('\n'),
    )
  },
}

function noticeLine(n: StoredNotice): string {
  const level = n.level.toUpperCase().padEnd(6)
  return `${n.receivedAt} ${level} ${n.rule.padEnd(22)} ${n.elderName} — ${n.summary} [${n.audience}, ${n.format}${n.caseNumber ? `, case ${n.caseNumber}` : ''}]`
}
