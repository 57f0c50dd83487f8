/**
 * Long-lived responses held by a session (the SSE live stream), by user and token, so that
 * what ends a session ends them at once rather than at their next periodic session check:
 * logout ends that token's streams; a password, role or station change and disabling end every
 * stream of the user (their tokens are deleted in the same transaction). Ended after the commit,
 * so a stream that reconnects at once is refused.
 *
 * In-process: with several gateway nodes a stream held by another node ends at its own session
 * check (stream-routes.ts `sessionCheckMs`), which stays as the backstop.
 *
 * Shared through a fastify decorator on the root instance (`app.liveSessions`), so plugins
 * registered by other modules (the stream routes) reach the same registry.
 */
export interface LiveSession {
  userId: string
  /** sha256 of the bearer token (what auth_tokens stores). */
  tokenHash: string
}

export interface LiveSessions {
  /** Registers something to end with the session; returns its removal. */
  track(session: LiveSession, end: (reason: string) => void): () => void
  /** The session of this token ended (logout); returns how many were ended. */
  endSession(userId: string, tokenHash: string, reason: string): number
  /** Every session of the user ended (password, role, station change; disabled). */
  endUser(userId: string, reason: string): number
  /** Open entries (tests, metrics). */
  size(): number
}

declare module 'fastify' {
  interface FastifyInstance {
    liveSessions: LiveSessions
  }
}

interface Entry {
  tokenHash: string
  end: (reason: string) => void
}

export function createLiveSessions(): LiveSessions {
  const byUser = new Map<string, Set<Entry>>()

  function endWhere(userId: string, reason: string, matches: (entry: Entry) => boolean): number {
    const entries = byUser.get(userId)
    if (entries === undefined) return 0
    let ended = 0
    // A copy: ending an entry removes it from the set through its own removal function.
    for (const entry of [...entries]) {
      if (!matches(entry)) continue
      entries.delete(entry)
      entry.end(reason)
      ended++
    }
    if (entries.size === 0) byUser.delete(userId)
    return ended
  }

  return {
    track(session, end) {
      const entry: Entry = { tokenHash: session.tokenHash, end }
      let entries = byUser.get(session.userId)
      if (entries === undefined) {
        entries = new Set()
        byUser.set(session.userId, entries)
      }
      entries.add(entry)
      return () => {
        const current = byUser.get(session.userId)
        current?.delete(entry)
        if (current?.size === 0) byUser.delete(session.userId)
      }
    },
    endSession: (userId, tokenHash, reason) => endWhere(userId, reason, (entry) => entry.tokenHash === tokenHash),
    endUser: (userId, reason) => endWhere(userId, reason, () => true),
    size() {
      let n = 0
      for (const entries of byUser.values()) n += entries.size
      return n
    },
  }
}
