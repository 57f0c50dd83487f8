import { EgError, type FieldError } from '../errors'
import type { WebhookPolicy } from '../notices/webhook-policy'

/**
 * The set-time half of the webhook policy (DESIGN §4, notices/webhook-policy.ts): a police
 * station's or a contact's URL that is a loopback, private, link-local or metadata address as
 * written is a 400 naming the field, before anything is stored. Names are resolved only at send
 * time, where the address connected to is checked (a name's address may change after this).
 * Here rather than in the zod schemas because the answer depends on EG_WEBHOOK_ALLOW.
 */
export interface WebhookTarget {
  /** The body field, as zod names fields: `webhookUrl`, `contacts.2.webhookUrl`. */
  path: string
  url: string | null | undefined
}

export function assertWebhookTargets(policy: WebhookPolicy, targets: readonly WebhookTarget[]): void {
  const fields: FieldError[] = []
  for (const { path, url } of targets) {
    if (url === null || url === undefined) continue
    const why = policy.refuseUrl(url)
    if (why !== null) fields.push({ path, message: `not allowed as a webhook target: ${why} (EG_WEBHOOK_ALLOW lists the exceptions)` })
  }
  if (fields.length > 0) throw new EgError('VALIDATION_FAILED', 'invalid body', { fields })
}

/** An elder's contacts as webhook targets, named as the body names them. */
export function contactTargets(contacts: ReadonlyArray<{ webhookUrl?: string | undefined }> | undefined): WebhookTarget[] {
  return (contacts ?? []).map((contact, index) => ({ path: `contacts.${index}.webhookUrl`, url: contact.webhookUrl }))
}
