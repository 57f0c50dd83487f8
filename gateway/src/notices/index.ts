/**
 * Police and family notices: the outbox of DESIGN §4 "Police notice" (planner inside the
 * alert's transaction, deliverer after commit, signed receipts, the notice list).
 */
export { createNoticePlanner, noticesCalledFor, DEFAULT_NOTICE_MAX_AGE_MS, type NoticePlannerOptions } from './planner'
export { createNoticeDeliverer, type NoticeDeliverer, type NoticeDelivererOptions } from './deliverer'
export { noticeReceiptRoutes, type NoticeReceiptDeps } from './receipt-routes'
export { noticeRoutes } from './notice-routes'
export { signNotice, verifyNoticeSignature, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature'
export type { Notice, NoticeStatus, ReceiptStatus } from './notice-store'
