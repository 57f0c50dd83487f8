/** DESIGN §3b: a watch's own number, 10–15 digits — the only identity the protocol carries. */
export const WATCH_NUMBER_PATTERN = /^[0-9]{10,15}$/
