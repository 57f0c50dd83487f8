/**
 * The audible cue for a new red alert: a short two-tone beep made with WebAudio (no sound
 * file to ship or fail to load). Browsers allow audio only after a user gesture, so the
 * context is created on the first click (signing in counts).
 */
let context: AudioContext | null = null

export function unlockAudio(): void {
  if (context !== null) return
  try {
    context = new AudioContext()
  } catch {
    context = null
  }
}

export function beep(): void {
  // Counted in the DOM so the browser tests can see the cue without hearing it.
  const root = document.documentElement
  root.dataset.beeps = String(Number(root.dataset.beeps ?? '0') + 1)
  if (context === null) return
  const ctx = context
  void ctx.resume().catch(() => undefined)
  const start = ctx.currentTime
  for (const [i, freq] of [880, 660].entries()) {
    const osc = ctx.createOscillator()
    const gain = ctx.createGain()
    osc.type = 'square'
    osc.frequency.value = freq
    const t = start + i * 0.25
    gain.gain.setValueAtTime(0.0001, t)
    gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02)
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.22)
    osc.connect(gain).connect(ctx.destination)
    osc.start(t)
    osc.stop(t + 0.24)
  }
}

const BASE_TITLE = 'eldergate'

/** `(N) ` in front of the tab title while N red alerts are unanswered. */
export function setTitleBadge(unanswered: number, pageTitle: string): void {
  const title = `${pageTitle} · ${BASE_TITLE}`
  document.title = unanswered > 0 ? `(${unanswered}) ${title}` : title
}
