/**
 * What bench:connections reads about the machine and about the gateway process: file
 * descriptor limits and kernel network settings (read, never changed — that needs root), and
 * samples of the gateway's RSS (/proc/<pid>/status, the gateway process alone), CPU time
 * (/proc/<pid>/stat) and its own Prometheus counters (/metrics).
 */
import { readFile } from 'node:fs/promises'
import os from 'node:os'

export interface FdLimit {
  soft: number
  hard: number
}

/** "Max open files" of a process (this one by default), from /proc/<pid>/limits. */
export async function openFilesLimit(pid: number | 'self' = 'self'): Promise<FdLimit> {
  const text = await readFile(`/proc/${pid}/limits`, 'utf8')
  const line = text.split('\n').find((l) => l.startsWith('Max open files')) ?? ''
  const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/)
  const parse = (v: string | undefined) => (v === 'unlimited' ? Infinity : Number(v))
  return { soft: parse(soft), hard: parse(hard) }
}

async function sysctl(path: string): Promise<string> {
  return (await readFile(`/proc/sys/${path}`, 'utf8').catch(() => 'n/a')).trim().replace(/\s+/g, '-')
}

export async function kernelSettings(): Promise<string> {
  const [ports, somaxconn, synBacklog] = await Promise.all([
    sysctl('net/ipv4/ip_local_port_range'),
    sysctl('net/core/somaxconn'),
    sysctl('net/ipv4/tcp_max_syn_backlog'),
  ])
  return `net.ipv4.ip_local_port_range ${ports}, net.core.somaxconn ${somaxconn}, net.ipv4.tcp_max_syn_backlog ${synBacklog}; ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`
}

export interface GatewaySample {
  at: number
  rssBytes: number
  /** User + system CPU time of the gateway process so far, ms. */
  cpuMs: number
  connected: number
  accepted: number
  persisted: number
  heapUsedBytes: number
}

const CLOCK_TICKS_PER_S = 100

export async function sampleGateway(pid: number, httpPort: number): Promise<GatewaySample> {
  const [status, stat, metrics] = await Promise.all([
    readFile(`/proc/${pid}/status`, 'utf8'),
    readFile(`/proc/${pid}/stat`, 'utf8'),
    fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text()),
  ])
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN)
  // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S
  return {
    at: performance.now(),
    rssBytes: rssKb * 1024,
    cpuMs,
    connected: metric(metrics, 'eg_connected_devices'),
    accepted: metric(metrics, 'eg_messages_accepted_total{channel="telemetry"}'),
    persisted: metric(metrics, 'eg_rows_persisted_total{table="readings"}'),
    heapUsedBytes: metric(metrics, 'nodejs_heap_size_used_bytes'),
  }
}

/** A sample's value from the Prometheus text format; 0 when the series does not exist yet. */
function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
