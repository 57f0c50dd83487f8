import type { ReceivedNotice } from './notice-parse'
import { sign } from './signature'

/**
 * "Every case gets an answer" (DESIGN §1): the station tells the gateway it has the notice,
 * with its case number — `POST <receiptUrl>` signed the same way as the notice, with the same
 * secret, body `{status: 'received', caseNumber}`.
 */
export type ReceiptOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string }

export async function sendReceipt(notice: ReceivedNotice & { caseNumber?: string }, secret: string, gatewayUrl?: string): Promise<ReceiptOutcome> {
  if (!notice.receiptUrl) return { ok: false, status: null, error: 'notice has no receiptUrl' }
  let url: string
  try {
    url = new URL(notice.receiptUrl, gatewayUrl).toString()
  } catch {
    return { ok: false, status: null, error: `relative receiptUrl ${notice.receiptUrl} and no --gateway to resolve it` }
  }
  const body = JSON.stringify({ status: 'received', ...(notice.caseNumber ? { caseNumber: notice.caseNumber } : {}) })
  const timestampS = Math.floor(Date.now() / 1000)
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-eldergate-timestamp': String(timestampS), 'x-eldergate-signature': sign(secret, timestampS, body) },
      body,
      signal: AbortSignal.timeout(10_000),
    })
    const text = await res.text()
    return res.ok ? { ok: true, status: res.status } : { ok: false, status: res.status, error: text.slice(0, 200) }
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code
    return { ok: false, status: null, error: `${(err as Error).message}${cause ? `: ${cause}` : ''}` }
  }
}
