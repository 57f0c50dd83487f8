import type { WatchFrame } from './frame'

/**
 * Incremental framing of the watch protocol (DESIGN §3b): TCP bytes in, whole frames out.
 *
 * The reader is a byte-level state machine, not "buffer everything, then search", because the
 * peer is untrusted: whatever arrives, it keeps at most one header and one declared CONTENT
 * (≤ maxContentBytes), and it looks at every byte a bounded number of times (once, or twice
 * for the byte that broke a header), so a hostile stream costs linear time.
 *
 * CONTENT is opaque bytes measured by LLLL, never searched: some makers put binary voice (TK)
 * in it, where `[` and `]` are ordinary bytes. So a frame whose LLLL is wrong is discarded
 * whole ('bad_length') rather than re-scanned for a frame start inside it.
 */

export type FrameProblemKind = 'garbage' | 'bad_header' | 'bad_length' | 'too_long'

/** Bytes the reader discarded, and why. The server counts these; a watch never sees them. */
export interface FrameProblem {
  problem: FrameProblemKind
  bytes: number
}

export interface FrameReaderOptions {
  /** Largest LLLL accepted. Default 4096: text commands are far shorter; longer is voice or hostile. */
  maxContentBytes: number
  /** Bound on what the reader holds. Default maxContentBytes + 64; at least maxContentBytes + MAX_HEADER_BYTES. */
  maxBufferedBytes: number
}

/** `[` + 2 maker chars + `*` + 15 digits + `*` + 4 hex + `*`: the longest valid header. */
export const MAX_HEADER_BYTES = 25

const OPEN = 0x5b // '['
const CLOSE = 0x5d // ']'
const STAR = 0x2a // '*'
const ID_MIN_DIGITS = 10
const ID_MAX_DIGITS = 15
const LENGTH_DIGITS = 4

/**
 * Where the reader is in `[MF*ID*LLLL*CONTENT]`. 'seek': looking for `[`, every other byte is
 * discarded into the current run; 'close': CONTENT complete, the next byte must be `]`;
 * 'skip': passing over a too-long CONTENT without keeping it; 'skip_close': past it, swallow
 * its `]` if that is there.
 */
type State = 'seek' | 'maker' | 'maker_star' | 'id' | 'length' | 'length_star' | 'content' | 'close' | 'skip' | 'skip_close'

export function isFrameProblem(item: WatchFrame | FrameProblem): item is FrameProblem {
  return 'problem' in item
}

export class FrameReader {
  private readonly maxContentBytes: number

  private state: State = 'seek'
  /** Header bytes seen so far, `[` included; kept to name maker and id once LLLL is read. */
  private readonly header = Buffer.alloc(MAX_HEADER_BYTES)
  private headerLength = 0
  private idDigits = 0
  private lengthDigits = 0
  private contentLength = 0
  private content: Buffer | null = null
  private filled = 0
  private maker = ''
  private id = ''
  /** Bytes still to pass over in 'skip'. */
  private skipRemaining = 0

  /**
   * The current run of discarded bytes. Bytes discarded after a problem, up to the next `[`,
   * belong to that problem (one bad frame, one report); after a good frame they are 'garbage'.
   * Problems of one kind back to back (a flood of `[`) make one run, not one report per byte.
   * A run is reported when a frame or a problem of another kind follows, or when push()
   * returns, so a peer that sends only garbage is seen at once; byte totals per kind do not
   * depend on how TCP split the stream.
   */
  private runKind: FrameProblemKind = 'garbage'
  private runBytes = 0

  constructor(opts: Partial<FrameReaderOptions> = {}) {
    const maxContentBytes = opts.maxContentBytes ?? 4096
    const maxBufferedBytes = opts.maxBufferedBytes ?? maxContentBytes + 64
    // Decided at configuration time (DESIGN §6): a bound that cannot hold one frame is a bug.
    // Past this check the bound holds by construction: the reader never keeps more than one
    // header (≤ MAX_HEADER_BYTES) and one CONTENT (≤ maxContentBytes).
    if (!Number.isInteger(maxContentBytes) || maxContentBytes < 0 || maxContentBytes > 0xffff) {
      throw new RangeError(`FrameReader: maxContentBytes must be an integer in 0..65535, got ${maxContentBytes}`)
    }
    if (!Number.isInteger(maxBufferedBytes) || maxBufferedBytes < maxContentBytes + MAX_HEADER_BYTES) {
      throw new RangeError(`FrameReader: maxBufferedBytes must be ≥ maxContentBytes + ${MAX_HEADER_BYTES}, got ${maxBufferedBytes}`)
    }
    this.maxContentBytes = maxContentBytes
  }

  /** Bytes held for an unfinished frame (header and CONTENT received so far). */
  buffered(): number {
    switch (this.state) {
      case 'seek':
      case 'skip':
      case 'skip_close':
        return 0
      case 'content':
      case 'close':
        return this.headerLength + this.filled
      default:
        return this.headerLength
    }
  }

  /** Frames and problems in stream order. Never throws on any input. */
  push(chunk: Buffer): Array<WatchFrame | FrameProblem> {
    const out: Array<WatchFrame | FrameProblem> = []
    let i = 0
    while (i < chunk.length) {
      switch (this.state) {
        case 'seek': {
          const open = chunk.indexOf(OPEN, i)
          const end = open === -1 ? chunk.length : open
          this.runBytes += end - i
          i = end
          if (open !== -1) {
            // The run stays open: if this `[` starts no frame either, its bytes join the run.
            this.header[0] = OPEN
            this.headerLength = 1
            this.state = 'maker'
            i++
          }
          break
        }
        case 'content': {
          const content = this.content as Buffer
          const n = Math.min(this.contentLength - this.filled, chunk.length - i)
          chunk.copy(content, this.filled, i, i + n)
          this.filled += n
          i += n
          if (this.filled === this.contentLength) this.state = 'close'
          break
        }
        case 'close': {
          if (chunk[i] === CLOSE) {
            this.flushRun(out) // problems stay in stream order
            out.push({ maker: this.maker, id: this.id, content: this.content as Buffer })
            i++
            // Bytes skipped after a good frame are plain garbage, not part of an earlier problem.
            this.runKind = 'garbage'
          } else {
            // Not consumed: the byte is looked at again in 'seek' (it may be the next `[`).
            this.discard('bad_length', this.headerLength + this.contentLength, out)
          }
          this.content = null
          this.headerLength = 0
          this.filled = 0
          this.state = 'seek'
          break
        }
        case 'skip': {
          const n = Math.min(this.skipRemaining, chunk.length - i)
          this.runBytes += n
          this.skipRemaining -= n
          i += n
          if (this.skipRemaining === 0) this.state = 'skip_close'
          break
        }
        case 'skip_close': {
          if (chunk[i] === CLOSE) {
            this.runBytes++
            i++
          }
          this.state = 'seek'
          break
        }
        default: {
          // One header byte; `false` means it broke the header and must be seen again in 'seek'.
          if (this.headerByte(chunk[i] as number, out)) i++
          break
        }
      }
    }
    this.flushRun(out)
    return out
  }

  /** Header grammar `[MF*ID*LLLL*`, checked as each byte arrives so a bad header costs nothing. */
  private headerByte(byte: number, out: Array<WatchFrame | FrameProblem>): boolean {
    let ok: boolean
    let complete = false
    switch (this.state) {
      case 'maker':
        ok = isAlphanumeric(byte)
        if (ok && this.headerLength === 2) this.state = 'maker_star'
        break
      case 'maker_star':
        ok = byte === STAR
        if (ok) {
          this.idDigits = 0
          this.state = 'id'
        }
        break
      case 'id':
        if (isDigit(byte)) {
          ok = this.idDigits < ID_MAX_DIGITS
          this.idDigits++
        } else {
          ok = byte === STAR && this.idDigits >= ID_MIN_DIGITS
          if (ok) {
            this.lengthDigits = 0
            this.contentLength = 0
            this.state = 'length'
          }
        }
        break
      case 'length': {
        const digit = hexValue(byte)
        ok = digit >= 0
        if (ok) {
          this.contentLength = this.contentLength * 16 + digit
          if (++this.lengthDigits === LENGTH_DIGITS) this.state = 'length_star'
        }
        break
      }
      default: // 'length_star'
        ok = byte === STAR
        complete = ok
        break
    }
    if (!ok) {
      this.discard('bad_header', this.headerLength, out)
      this.headerLength = 0
      this.state = 'seek'
      return false
    }
    this.header[this.headerLength++] = byte
    if (complete) this.startContent(out)
    return true
  }

  /** Header complete: keep the CONTENT if it may be kept, else pass over it unbuffered. */
  private startContent(out: Array<WatchFrame | FrameProblem>): void {
    this.maker = this.header.toString('latin1', 1, 3)
    this.id = this.header.toString('latin1', 4, 4 + this.idDigits)
    if (this.contentLength > this.maxContentBytes) {
      this.discard('too_long', this.headerLength, out)
      this.headerLength = 0
      this.skipRemaining = this.contentLength
      this.state = 'skip' // contentLength ≥ 1 here: it exceeds maxContentBytes ≥ 0
      return
    }
    this.content = Buffer.allocUnsafe(this.contentLength)
    this.filled = 0
    this.state = this.contentLength === 0 ? 'close' : 'content'
  }

  /** Adds discarded bytes to the run of `kind`, first reporting a run of another kind. */
  private discard(kind: FrameProblemKind, bytes: number, out: Array<WatchFrame | FrameProblem>): void {
    if (kind !== this.runKind) this.flushRun(out)
    this.runKind = kind
    this.runBytes += bytes
  }

  private flushRun(out: Array<WatchFrame | FrameProblem>): void {
    if (this.runBytes === 0) return
    out.push({ problem: this.runKind, bytes: this.runBytes })
    this.runBytes = 0
  }
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39
}

function isAlphanumeric(byte: number): boolean {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
}

/** Value of a hex digit (either case: Traccar's own tests have `000e`), or -1. */
function hexValue(byte: number): number {
  if (isDigit(byte)) return byte - 0x30
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10
  return -1
}
