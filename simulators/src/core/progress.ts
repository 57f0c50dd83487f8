/**
 * Progress for long runs: one line rewritten in place on a terminal, a plain line every few
 * seconds otherwise (CI logs and pipes should not fill with carriage returns).
 */
export class Progress {
  private lastPlain = 0
  private readonly tty = process.stderr.isTTY === true

  constructor(private readonly quiet = false) {}

  update(line: string): void {
    if (this.quiet) return
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line}`)
      return
    }
    const now = Date.now()
    if (now - this.lastPlain < 5_000) return
    this.lastPlain = now
    process.stderr.write(`${line}\n`)
  }

  done(): void {
    if (!this.quiet && this.tty) process.stderr.write('\r\x1b[2K')
  }
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}
